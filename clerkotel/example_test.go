package clerkotel_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkotel"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// The metrics of two deliveries, Clerk's and a forgery, read back with the
// SDK's manual reader: a count by outcome, event type and, for the forgery,
// error type, and a duration.
func Example() {
	reader := sdkmetric.NewManualReader()
	observe := clerkotel.NewObserver(
		clerkotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))

	secret := clerkwebhooktest.NewSecret()
	v, err := clerkwebhook.NewVerifier(secret)
	if err != nil {
		log.Fatal(err)
	}
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithObserver(observe))
	h.On(clerkwebhook.UserCreated, func(context.Context, clerkwebhook.Event) error { return nil })

	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	for _, key := range []string{secret, clerkwebhooktest.NewSecret()} {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
		for name, values := range clerkwebhooktest.Sign(key, "msg_1", time.Now(), body) {
			r.Header[name] = values
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		fmt.Printf("%s (%s)\n", m.Name, m.Unit)
		var lines []string
		switch data := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range data.DataPoints {
				var attrs []string
				for _, kv := range dp.Attributes.ToSlice() {
					attrs = append(attrs, fmt.Sprintf("%s=%q", kv.Key, kv.Value.AsString()))
				}
				lines = append(lines, fmt.Sprintf("  %s: %d", strings.Join(attrs, " "), dp.Value))
			}
		case metricdata.Histogram[float64]:
			for _, dp := range data.DataPoints {
				outcome, _ := dp.Attributes.Value("clerkwebhook.outcome")
				lines = append(lines, fmt.Sprintf("  %s: %d measured", outcome.AsString(), dp.Count))
			}
		}
		slices.Sort(lines)
		fmt.Println(strings.Join(lines, "\n"))
	}
	// Output:
	// clerkwebhook.deliveries ({delivery})
	//   clerkwebhook.event_type="" clerkwebhook.outcome="rejected" error.type="no_matching_signature": 1
	//   clerkwebhook.event_type="user.created" clerkwebhook.outcome="processed": 1
	// clerkwebhook.delivery.duration (s)
	//   processed: 1 measured
	//   rejected: 1 measured
}
