package api

import "github.com/gin-gonic/gin"

// Engine is the router inside the handler New returns.
func Engine(h any) *gin.Engine { return h.(headAsGet).next.(*gin.Engine) }

var ParseTime = parseTime
