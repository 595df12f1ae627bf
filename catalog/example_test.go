package catalog_test

import (
	"fmt"

	"github.com/heraldhub/herald/catalog"
)

func ExampleMatchAny() {
	subscribed := []string{"rankrecord.*", "*.deleted"}
	for _, event := range []string{"rankrecord.created", "user.deleted", "user.created"} {
		fmt.Println(event, catalog.MatchAny(subscribed, event))
	}
	// Output:
	// rankrecord.created true
	// user.deleted true
	// user.created false
}

func ExampleLookup() {
	et, ok := catalog.Lookup("awardrecord.created")
	fmt.Println(ok, et.Resource, et.Action)
	// Output: true awardrecord created
}
