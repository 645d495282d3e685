package clerkwebhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Every benchmark of the package, each against a baseline measured in the
// same run: Verify against the bare HMAC and the reference library, the
// envelope scan against json.Valid, Verify and User against the reference
// library and encoding/json, each accessor against encoding/json, and the
// Handler under load on a loopback server against a
// handler that only reads the body. First, the bodies they run on.

// largeBody returns a user.created delivery of about size bytes: the small
// fixture, compact, with its public_metadata grown, as an app storing a large profile
// document there would send.
func largeBody(tb testing.TB, size int) []byte {
	var env map[string]any
	if err := json.Unmarshal(readFixture(tb, "user.created.json"), &env); err != nil {
		tb.Fatal(err)
	}
	var items []map[string]any
	data := env["data"].(map[string]any)
	for i := 0; ; i++ {
		items = append(items, map[string]any{
			"id":         fmt.Sprintf("item_%06d", i),
			"label":      "Saved search: \"open invoices\" over 30 days",
			"created_at": 1764331200000 + int64(i),
			"tags":       []string{"billing", "finance", "q4"},
			"weight":     0.25 * float64(i%7),
		})
		if i%100 == 0 {
			data["public_metadata"] = map[string]any{"saved": items}
			b, _ := json.Marshal(env)
			if len(b) >= size {
				return b
			}
		}
	}
}

// compactFixture is a fixture as Clerk puts it on the wire: compact JSON.
func compactFixture(tb testing.TB, name string) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, readFixture(tb, name)); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// largeEmail returns an email.created delivery of about size bytes: the
// fixture with its HTML body grown, as a long transactional email would be.
// Unlike largeBody it is mostly long strings.
func largeEmail(tb testing.TB, size int) []byte {
	var env map[string]any
	if err := json.Unmarshal(readFixture(tb, "email.created.json"), &env); err != nil {
		tb.Fatal(err)
	}
	data := env["data"].(map[string]any)
	var html strings.Builder
	html.WriteString("<!DOCTYPE html><html><body><table role=\"presentation\" width=\"100%\">\n")
	for i := 0; html.Len() < size-3000; i++ {
		fmt.Fprintf(&html, "<tr><td style=\"padding:8px 16px;font-family:Helvetica,Arial,sans-serif;color:#333\">Invoice line %d: Pro plan, seat %d</td><td align=\"right\">$20.00</td></tr>\n", i, i%50)
	}
	html.WriteString("</table></body></html>")
	data["body"] = html.String()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		tb.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// referenceEnvelope is what a user of the reference library decodes after
// verifying: the envelope, with data kept raw.
type referenceEnvelope struct {
	Data            json.RawMessage `json:"data"`
	EventAttributes struct {
		HTTPRequest struct {
			ClientIP  string `json:"client_ip"`
			UserAgent string `json:"user_agent"`
		} `json:"http_request"`
	} `json:"event_attributes"`
	InstanceID string `json:"instance_id"`
	Object     string `json:"object"`
	Timestamp  int64  `json:"timestamp"`
	Type       string `json:"type"`
}

// BenchmarkVerify compares, on the same bytes in one run: Verify; the floor
// (one HMAC-SHA256 over id.timestamp.body with a prepared key, nothing else);
// and the reference standard-webhooks library's Verify followed by
// encoding/json of the envelope.
func BenchmarkVerify(b *testing.B) {
	sizes := []struct {
		name string
		body []byte
	}{
		{"small", compactFixture(b, "user.created.json")},
		{"large", largeBody(b, 300<<10)},
		{"large-html", largeEmail(b, 300<<10)},
	}
	for _, sz := range sizes {
		body := sz.body
		now := time.Now()
		id := "msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e"
		h := signed(b, testSecret, id, now, body)
		ts := strconv.FormatInt(now.Unix(), 10)

		b.Run(sz.name+"/clerkwebhook", func(b *testing.B) {
			v := mustVerifier(b, testSecret)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := v.Verify(body, h); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(sz.name+"/hmac-floor", func(b *testing.B) {
			key, _ := parseSecret(testSecret)
			mac := hmac.New(sha256.New, key)
			prefix := []byte(id + "." + ts + ".")
			var sum [32]byte
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				mac.Reset()
				mac.Write(prefix)
				mac.Write(body)
				mac.Sum(sum[:0])
			}
		})
		b.Run(sz.name+"/reference+json", func(b *testing.B) {
			wh, err := standardwebhooks.NewWebhook(testSecret)
			if err != nil {
				b.Fatal(err)
			}
			rh := http.Header{}
			rh.Set("webhook-id", id)
			rh.Set("webhook-timestamp", ts)
			rh.Set("webhook-signature", h.Get("svix-signature"))
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := wh.Verify(body, rh); err != nil {
					b.Fatal(err)
				}
				var env referenceEnvelope
				if err := json.Unmarshal(body, &env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkScan(b *testing.B) {
	for _, c := range []struct {
		name string
		body []byte
	}{{"small", compactFixture(b, "user.created.json")}, {"large", largeBody(b, 300<<10)}} {
		b.Run(c.name+"/parseEnvelope", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for i := 0; i < b.N; i++ {
				var ev Event
				if r := parseEnvelope(c.body, &ev, false); r != "" {
					b.Fatal(r)
				}
			}
		})
		b.Run(c.name+"/json.Valid", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for i := 0; i < b.N; i++ {
				if !json.Valid(c.body) {
					b.Fatal()
				}
			}
		})
	}
}

// BenchmarkVerifyUser is what a receiver of user.created does: Verify and
// User. The baseline is BenchmarkVerify's, the reference library's Verify
// and encoding/json of the envelope with data kept raw, followed by
// encoding/json of the data into a User: the same two steps. A second
// baseline decodes the body in one json.Unmarshal, into an envelope whose
// data is a User.
func BenchmarkVerifyUser(b *testing.B) {
	body := compactFixture(b, "user.created.json")
	now := time.Now()
	id := "msg_2pYq8XkJd3nF7sLw0ZrT5uVbC1e"
	h := signed(b, testSecret, id, now, body)
	b.Run("clerkwebhook", func(b *testing.B) {
		v := mustVerifier(b, testSecret)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ev, err := v.Verify(body, h)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ev.User(); err != nil {
				b.Fatal(err)
			}
		}
	})
	wh, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	rh := http.Header{}
	rh.Set("webhook-id", id)
	rh.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	rh.Set("webhook-signature", h.Get("svix-signature"))
	b.Run("reference+json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := wh.Verify(body, rh); err != nil {
				b.Fatal(err)
			}
			var env referenceEnvelope
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
			var u User
			if err := json.Unmarshal(env.Data, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference+json-one-pass", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := wh.Verify(body, rh); err != nil {
				b.Fatal(err)
			}
			var env referenceUserEvent
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// referenceUserEvent is referenceEnvelope with the data decoded as a User.
type referenceUserEvent struct {
	Data            User `json:"data"`
	EventAttributes struct {
		HTTPRequest struct {
			ClientIP  string `json:"client_ip"`
			UserAgent string `json:"user_agent"`
		} `json:"http_request"`
	} `json:"event_attributes"`
	InstanceID string `json:"instance_id"`
	Object     string `json:"object"`
	Timestamp  int64  `json:"timestamp"`
	Type       string `json:"type"`
}

// benchFixtures is the fixture each payload type's decoding is measured on.
var benchFixtures = map[string]string{
	"User":                   "user.created.json",
	"Session":                "session.created.json",
	"Organization":           "organization.created.json",
	"OrganizationMembership": "organizationMembership.created.json",
	"OrganizationInvitation": "organizationInvitation.created.json",
	"OrganizationDomain":     "organizationDomain.created.json",
	"Email":                  "email.created.json",
	"SMSMessage":             "sms.created.json",
	"Role":                   "role.created.json",
	"Permission":             "permission.created.json",
	"WaitlistEntry":          "waitlistEntry.updated.json",
	"DeletedObject":          "user.deleted.json",
	"Subscription":           "subscription.created.json",
	"SubscriptionItem":       "subscriptionItem.active.json",
	"PaymentAttempt":         "paymentAttempt.created.json",
}

// BenchmarkDecode compares each typed accessor, on its type's fixture, with
// json.Unmarshal of the same data into the same struct.
func BenchmarkDecode(b *testing.B) {
	names := make([]string, 0, len(benchFixtures))
	for name := range benchFixtures {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var ev Event
		if r := parseEnvelope(compactFixture(b, benchFixtures[name]), &ev, false); r != "" {
			b.Fatal(r)
		}
		get := accessors[name]
		b.Run(name+"/accessor", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(ev.Data)))
			for i := 0; i < b.N; i++ {
				if _, err := get(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(ev.Data)))
			for i := 0; i < b.N; i++ {
				if err := json.Unmarshal(ev.Data, newPayload[name]()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandlerLoad drives a loopback server with many concurrent
// clients, each request a distinct reference-signed user.created delivery.
// "handler" is the Handler with a no-op callback; "bare" only reads the body,
// so the difference is what verification and dispatch cost under load.
func BenchmarkHandlerLoad(b *testing.B) {
	const pool = 4096
	body := readFixture(b, "user.created.json")
	deliveries := make([]delivery, pool)
	for i := range deliveries {
		deliveries[i] = newDelivery(b, testSecret, fmt.Sprintf("msg_load_%06d", i), testNow, body)
	}

	h := NewHandler(testVerifier(b), failOnError(b))
	h.On(UserCreated, func(context.Context, Event) error { return nil })
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})

	for _, bc := range []struct {
		name    string
		handler http.Handler
	}{
		{"handler", h},
		{"bare", bare},
	} {
		b.Run(bc.name, func(b *testing.B) { runLoad(b, bc.handler, deliveries) })
	}
}

func runLoad(b *testing.B, h http.Handler, deliveries []delivery) {
	const parallelism = 16
	srv := httptest.NewServer(h)
	defer srv.Close()
	clients := parallelism * runtime.GOMAXPROCS(0)
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	var next atomic.Int64
	var mu sync.Mutex
	latencies := make([]time.Duration, 0, b.N)

	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	cpu0, cpuOK := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 256)
		for pb.Next() {
			d := deliveries[int(next.Add(1)-1)%len(deliveries)]
			req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(d.body))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header = d.header.Clone()
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			local = append(local, time.Since(t0))
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	b.StopTimer()

	if len(latencies) == 0 {
		return
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p99 := latencies[(len(latencies)*99+99)/100-1]
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	if cpuOK {
		// Client and server share the process, so this is the CPU of one
		// round trip; the client's part is the same for every handler.
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
