package clerkotel_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkotel"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/internal/doctest"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The recipe (observedService, in docs/recipes.md): a service that records
// its webhook deliveries with the OpenTelemetry SDK, its metrics through the
// Prometheus exporter on /metrics and its spans through a span exporter.
// Here the span exporter is stdouttrace, writing to a buffer so that the
// example can show the spans; in production it is an OTLP exporter
// (otlptracegrpc or otlptracehttp). The example runs a delivery of Clerk's
// and a forgery through a real server, then prints what a scrape of
// /metrics shows and the spans the exporter wrote.
func Example_recipe() {
	ctx := context.Background()
	var spanOutput bytes.Buffer
	spanExporter, err := stdouttrace.New(stdouttrace.WithWriter(&spanOutput))
	if err != nil {
		log.Fatal(err)
	}
	secret := clerkwebhooktest.NewSecret() // in production, os.Getenv(clerkwebhook.EnvSigningSecret)
	v, err := clerkwebhook.NewVerifier(secret)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	h, shutdown, err := observedService(v, mux, spanExporter)
	if err != nil {
		log.Fatal(err)
	}
	h.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		return nil // create the user
	})
	server := httptest.NewServer(mux) // in production, http.ListenAndServe(":8080", mux)
	defer server.Close()

	// Clerk's delivery, then a forgery.
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	for i, key := range []string{secret, clerkwebhooktest.NewSecret()} {
		r, err := http.NewRequest(http.MethodPost, server.URL+"/webhooks/clerk", bytes.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		for name, values := range clerkwebhooktest.Sign(key, fmt.Sprintf("msg_%d", i+1), time.Now(), body) {
			r.Header[name] = values
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}

	// What Prometheus scrapes: the deliveries, with the scope's name and
	// version on every series.
	resp, err := http.Get(server.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	scanner := bufio.NewScanner(resp.Body)
	for scanner.Scan() {
		if line := scanner.Text(); strings.HasPrefix(line, "clerkwebhook_deliveries_total") {
			fmt.Println(line)
		}
	}

	// What the span exporter wrote: shutting down exports what is left.
	if err := shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	printSpans(&spanOutput)

	// Output:
	// clerkwebhook_deliveries_total{clerkwebhook_event_type="user.created",clerkwebhook_outcome="processed",otel_scope_name="github.com/seed77920f6a/clerkwebhook/clerkotel",otel_scope_schema_url="https://opentelemetry.io/schemas/1.43.0",otel_scope_version="0.1.0"} 1
	// clerkwebhook_deliveries_total{clerkwebhook_event_type="",clerkwebhook_outcome="rejected",error_type="no_matching_signature",otel_scope_name="github.com/seed77920f6a/clerkwebhook/clerkotel",otel_scope_schema_url="https://opentelemetry.io/schemas/1.43.0",otel_scope_version="0.1.0"} 1
	// span clerkwebhook.delivery, status Unset, scope github.com/seed77920f6a/clerkwebhook/clerkotel 0.1.0
	//   clerkwebhook.outcome=processed clerkwebhook.event_type=user.created clerkwebhook.message_id=msg_1 http.response.status_code=200 client.address=127.0.0.1
	// span clerkwebhook.delivery, status Unset, scope github.com/seed77920f6a/clerkwebhook/clerkotel 0.1.0
	//   clerkwebhook.outcome=rejected error.type=no_matching_signature clerkwebhook.message_id=msg_2 http.response.status_code=400 client.address=127.0.0.1
}

// observedService records the deliveries of a new Handler with the
// OpenTelemetry SDK: metrics through the Prometheus exporter, served on mux
// at GET /metrics, and spans through spanExporter (an OTLP exporter in
// production), in batches. The Handler is at POST /webhooks/clerk on mux;
// register its callbacks. shutdown flushes and stops both providers: call
// it when the server has stopped.
func observedService(verifier *clerkwebhook.Verifier, mux *http.ServeMux, spanExporter sdktrace.SpanExporter) (
	h *clerkwebhook.Handler, shutdown func(context.Context) error, err error,
) {
	// Its own registry, served at /metrics (prometheus.DefaultRegisterer
	// without WithRegisterer), and Prometheus's names for the instruments:
	// clerkwebhook_deliveries_total, clerkwebhook_delivery_duration_seconds.
	registry := prometheus.NewRegistry()
	metricExporter, err := otelprom.New(otelprom.WithRegisterer(registry),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes))
	if err != nil {
		return nil, nil, err
	}
	meterProvider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(metricExporter))
	tracerProvider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spanExporter))

	// With otel.SetMeterProvider and otel.SetTracerProvider instead, the
	// global providers, NewObserver needs no options. The Handler's log
	// still records each failure.
	observe := clerkotel.NewObserver(
		clerkotel.WithMeterProvider(meterProvider),
		clerkotel.WithTracerProvider(tracerProvider))
	h = clerkwebhook.NewHandler(verifier, clerkwebhook.WithObserver(observe))
	mux.Handle("POST /webhooks/clerk", h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	shutdown = func(ctx context.Context) error {
		return errors.Join(tracerProvider.Shutdown(ctx), meterProvider.Shutdown(ctx))
	}
	return h, shutdown, nil
}

// The recipe in docs/recipes.md is observedService, which Example_recipe
// runs.
func TestRecipeInDocs(t *testing.T) {
	t.Parallel()
	doctest.RequireRecipe(t, "example_recipe_test.go", "observedService", filepath.Join("..", "docs", "recipes.md"))
}

// printSpans prints the spans stdouttrace wrote to r, one JSON object each:
// name, status and scope, then the attributes.
func printSpans(r io.Reader) {
	dec := json.NewDecoder(r)
	for {
		var span struct {
			Name   string
			Status struct{ Code string }
			Scope  struct{ Name, Version string } `json:"InstrumentationScope"`
			Attrs  []struct {
				Key   string
				Value struct{ Value any }
			} `json:"Attributes"`
		}
		if err := dec.Decode(&span); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("span %s, status %s, scope %s %s\n ", span.Name, span.Status.Code, span.Scope.Name, span.Scope.Version)
		for _, kv := range span.Attrs {
			fmt.Printf(" %s=%v", kv.Key, kv.Value.Value)
		}
		fmt.Println()
	}
}
