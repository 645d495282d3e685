package clerkotel_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkotel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// What a Prometheus scrape shows, through the exporter as Example_recipe
// sets it up: the names and labels the package documentation gives.
func TestPrometheusExposition(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutTargetInfo(),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes))
	require.NoError(t, err)
	observe := clerkotel.NewObserver(clerkotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))))
	h := newHandler(verifier(t), clerkwebhook.WithObserver(observe))
	h.ServeHTTP(httptest.NewRecorder(), delivery(t, testSecret, "msg_1", now, clerkwebhook.UserCreated))
	h.ServeHTTP(httptest.NewRecorder(), delivery(t, otherSecret, "msg_2", now, clerkwebhook.UserCreated))

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	t.Logf("the exposition:\n%s", body)

	// Every sample carries the instrumentation scope: its name, the
	// semantic conventions' version, and this module's version.
	const scope = `,otel_scope_name="github.com/seed77920f6a/clerkwebhook/clerkotel",` +
		`otel_scope_schema_url="https://opentelemetry.io/schemas/1.43.0",otel_scope_version="0.1.0"`
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	var got []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "clerkwebhook_") {
			assert.Contains(t, line, scope)
		}
		if strings.HasPrefix(line, "clerkwebhook_deliveries_total") {
			assert.Contains(t, string(doc), "\n//\t"+line+"\n", "the package documentation shows the exposition as it is")
		}
		if strings.HasPrefix(line, "# TYPE") || strings.HasPrefix(line, "clerkwebhook_deliveries_total") ||
			strings.HasPrefix(line, "clerkwebhook_delivery_duration_seconds_count") ||
			strings.Contains(line, `le="15"`) {
			got = append(got, strings.Replace(line, scope, "", 1))
		}
	}
	assert.Equal(t, []string{
		`# TYPE clerkwebhook_deliveries_total counter`,
		`clerkwebhook_deliveries_total{clerkwebhook_event_type="user.created",clerkwebhook_outcome="processed"} 1`,
		`clerkwebhook_deliveries_total{clerkwebhook_event_type="",clerkwebhook_outcome="rejected",error_type="no_matching_signature"} 1`,
		`# TYPE clerkwebhook_delivery_duration_seconds histogram`,
		`clerkwebhook_delivery_duration_seconds_bucket{clerkwebhook_event_type="",clerkwebhook_outcome="rejected",le="15"} 1`,
		`clerkwebhook_delivery_duration_seconds_count{clerkwebhook_event_type="",clerkwebhook_outcome="rejected"} 1`,
		`clerkwebhook_delivery_duration_seconds_bucket{clerkwebhook_event_type="user.created",clerkwebhook_outcome="processed",le="15"} 1`,
		`clerkwebhook_delivery_duration_seconds_count{clerkwebhook_event_type="user.created",clerkwebhook_outcome="processed"} 1`,
	}, got)
}
