package sqlite

import (
	"strings"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// benchLog is a log entry of typical size (1 KiB request body).
func benchLog() *herald.LogEntry {
	return &herald.LogEntry{
		Request: herald.LogRequest{Method: "POST", URL: "https://receiver.example/hook",
			Headers: map[string]string{"Content-Type": "application/json", "Signature": "****"},
			Body:    `{"data":"` + strings.Repeat("x", 1024) + `"}`},
		Response:   &herald.LogResponse{Status: 200, Body: "ok"},
		DurationMS: 12,
	}
}

func benchEvent(targets int) store.CreateEventRequest {
	r := store.CreateEventRequest{Event: &herald.Event{Name: "user.created", Data: []byte(`{"id":42,"name":"Jane"}`)}}
	for range targets {
		r.Deliveries = append(r.Deliveries, &herald.Delivery{TargetType: herald.TargetWebhook, TargetID: herald.NewID(herald.PrefixWebhook)})
	}
	return r
}

// BenchmarkCreateEvent stores an event with two deliveries per operation.
func BenchmarkCreateEvent(b *testing.B) {
	db := openTemp(b)
	for b.Loop() {
		if _, _, err := db.CreateEvent(b.Context(), benchEvent(2)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordAttempt records one attempt with its log entry per operation.
func BenchmarkRecordAttempt(b *testing.B) {
	db := openTemp(b)
	r := benchEvent(1)
	if _, _, err := db.CreateEvent(b.Context(), r); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rec := store.AttemptRecord{Log: benchLog(), Status: herald.StatusSucceeded, StatusCode: new(200)}
		if err := db.RecordAttempt(b.Context(), r.Deliveries[0].ID, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordAttemptParallel is RecordAttempt from many goroutines at
// once, as delivery workers call it; each goroutine has its own delivery.
func BenchmarkRecordAttemptParallel(b *testing.B) {
	db := openTemp(b)
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		r := benchEvent(1)
		if _, _, err := db.CreateEvent(b.Context(), r); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			rec := store.AttemptRecord{Log: benchLog(), Status: herald.StatusSucceeded, StatusCode: new(200)}
			if err := db.RecordAttempt(b.Context(), r.Deliveries[0].ID, rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
