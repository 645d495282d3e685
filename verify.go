package clerkwebhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed77920f6a/clerkwebhook/internal/secretenv"
)

// DefaultTolerance is how far a signature timestamp may be from the
// verifier's clock, in either direction, before the message is rejected as a
// replay (too old) or as coming from a skewed clock (too new). It is Svix's
// own window.
const DefaultTolerance = 5 * time.Minute

// Environment variables read by the package-level Verify, in this order.
// The first is the name Clerk's own SDKs use.
const (
	EnvSigningSecret = "CLERK_WEBHOOK_SIGNING_SECRET"
	EnvSecret        = "CLERK_WEBHOOK_SECRET"
)

// A Verifier checks Clerk webhook deliveries against one or more signing
// secrets. Build it once with NewVerifier; it is immutable and safe for
// concurrent use by any number of goroutines.
//
// The zero Verifier has no secret and rejects every delivery with
// ErrMissingSecret: no configuration mistake makes it accept anything.
type Verifier struct {
	keys      []*signingKey
	challenge []byte // the endpoint-verification key, derived from the first secret (challenge.go)
	tolerance time.Duration
	now       func() time.Time
	maxBody   int64
}

// DefaultMaxBodyBytes is the default body limit: 1 MiB, far above the
// largest Clerk payload (user metadata is capped at 8 KB per kind).
const DefaultMaxBodyBytes = 1048576 // 1 MiB

// An Option configures a Verifier in NewVerifier.
type Option func(*Verifier) error

// WithTolerance sets how far the signature timestamp may be from the clock in
// either direction; the default is DefaultTolerance (5 minutes). The bounds
// are inclusive. A tolerance of zero or less panics (see the package
// documentation on configuration mistakes): there is no way to switch the
// replay check off.
func WithTolerance(d time.Duration) Option {
	if d <= 0 {
		panic("clerkwebhook: WithTolerance(" + d.String() + "): the tolerance must be positive")
	}
	return func(v *Verifier) error {
		v.tolerance = d
		return nil
	}
}

// WithMaxBodyBytes sets the largest body VerifyRequest reads and Verify
// accepts; the default is DefaultMaxBodyBytes (1 MiB). A larger body is
// ErrBodyTooLarge. A limit of zero or less panics.
func WithMaxBodyBytes(n int64) Option {
	if n <= 0 {
		panic("clerkwebhook: WithMaxBodyBytes(" + strconv.FormatInt(n, 10) + "): the limit must be positive")
	}
	return func(v *Verifier) error {
		v.maxBody = n
		return nil
	}
}

// WithClock replaces time.Now as the verifier's clock, for tests and for
// tools that check a captured delivery as of the time it was received. A nil
// clock panics.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("clerkwebhook: WithClock(nil)")
	}
	return func(v *Verifier) error {
		v.now = now
		return nil
	}
}

// WithSecrets adds further accepted signing secrets, for rotation: during the
// changeover a delivery signed with either the old or the new secret passes.
// Each is parsed as strictly as the main secret; an empty one is an error.
func WithSecrets(more ...string) Option {
	return func(v *Verifier) error {
		for i, s := range more {
			k, err := parseSecret(s)
			if err != nil {
				if s == "" {
					err = fmt.Errorf("%w: additional secret %d is empty", ErrInvalidSecret, i+1)
				}
				return fmt.Errorf("additional secret %d: %w", i+1, err)
			}
			v.keys = append(v.keys, newSigningKey(k))
		}
		return nil
	}
}

// NewVerifier parses and validates secret (the endpoint's "whsec_..." signing
// secret from the Clerk Dashboard; the bare base64 part is accepted too) and
// returns a Verifier. An empty secret is ErrMissingSecret; any other unusable
// secret is ErrInvalidSecret, with a message that names the likely mistake
// but never the secret.
func NewVerifier(secret string, opts ...Option) (*Verifier, error) {
	k, err := parseSecret(secret)
	if err != nil {
		return nil, err
	}
	v := &Verifier{
		keys:      []*signingKey{newSigningKey(k)},
		challenge: challengeKey(k),
		tolerance: DefaultTolerance,
		now:       time.Now,
		maxBody:   DefaultMaxBodyBytes,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Verify checks a delivery and returns its event envelope.
//
// body must be the raw request body exactly as received: a body that was
// decoded and re-encoded, or had a newline added or trimmed, no longer matches
// its signature. headers are the request headers; the svix-* names are read
// (case-insensitively, values trimmed), falling back to the complete webhook-*
// set.
//
// The checks run in this order, and the first failure is returned:
//
//  0. the body is within the limit (ErrBodyTooLarge);
//  1. the three headers are present and well-formed (ErrMissingHeader, ErrInvalidHeader);
//  2. some v1 signature matches under some secret (ErrNoMatchingSignature);
//  3. the timestamp is within the tolerance of the clock (ErrTimestampTooOld, ErrTimestampTooNew);
//  4. the body is an event envelope (ErrInvalidPayload).
//
// The signature is checked before the clock so that a timestamp error always
// means "Clerk sent this, but not now": a forger learns nothing about the
// window, and the error can report the exact skew of a genuine message.
// Every error is a *VerificationError wrapping one sentinel, except
// ErrMissingSecret from a nil or zero Verifier.
//
// The returned Event owns its memory: it shares nothing with body, so the
// caller may reuse or change body afterwards (as servers that pool request
// buffers do) without changing the event.
func (v *Verifier) Verify(body []byte, headers http.Header) (Event, error) {
	return v.verify(body, headers, false)
}

// verify is Verify; owned says that body belongs to this package (read by
// VerifyRequest into a buffer nobody else can write), so the event may keep
// a slice of it instead of a copy.
func (v *Verifier) verify(body []byte, headers http.Header, owned bool) (Event, error) {
	if v == nil || len(v.keys) == 0 {
		return Event{}, ErrMissingSecret
	}
	if int64(len(body)) > v.maxBody {
		return Event{}, v.tooLarge(headers)
	}
	sh, verr := readHeaders(headers)
	if verr != nil {
		return Event{}, verr
	}
	ts, ok := parseTimestamp(sh.timestamp)
	if !ok {
		return Event{}, &VerificationError{Err: ErrInvalidHeader, Reason: ReasonMalformedTimestamp, MessageID: sh.id,
			Header: strings.ToLower(sh.family.timestamp)}
	}
	matched, tried, skipped := v.checkSignatures(sh, body)
	signedAt := time.Unix(ts, 0)
	skew := v.now().Sub(signedAt) // a Verifier with keys has a clock: NewVerifier sets both
	// What every later failure reports; each adds to it. (A function, so
	// that the error is allocated only when there is one.)
	failure := func(sentinel error) *VerificationError {
		return &VerificationError{Err: sentinel, MessageID: sh.id, SignedAt: signedAt, Skew: skew,
			SignatureValid: matched, SignaturesTried: tried, SignaturesSkipped: skipped}
	}
	if !matched {
		ve := failure(ErrNoMatchingSignature)
		ve.Header, ve.Reason = strings.ToLower(sh.family.signature), ReasonSignatureMismatch
		if len(body) == 0 {
			ve.Reason = ReasonEmptyBody
		} else if tried == 0 {
			ve.Reason = ReasonNoV1Signature
		}
		return Event{}, ve
	}
	// Not -skew > tolerance: Sub saturates at the minimum Duration for a
	// timestamp centuries ahead, and negating that overflows back to negative.
	var stale error
	if skew > v.tolerance {
		stale = ErrTimestampTooOld
	} else if skew < -v.tolerance {
		stale = ErrTimestampTooNew
	}
	if stale != nil {
		ve := failure(stale)
		ve.Header, ve.Tolerance = strings.ToLower(sh.family.timestamp), v.tolerance
		return Event{}, ve
	}
	ev := Event{ID: sh.id, SignedAt: signedAt}
	if detail := parseEnvelope(body, &ev, owned); detail != "" {
		ve := failure(ErrInvalidPayload)
		if len(body) == 0 {
			ve.Reason = ReasonEmptyBody
		} else {
			ve.Detail = detail
		}
		return Event{}, ve
	}
	return ev, nil
}

func (v *Verifier) tooLarge(h http.Header) *VerificationError {
	sh, _ := readHeaders(h)
	return &VerificationError{Err: ErrBodyTooLarge, MessageID: sh.id, Detail: "limit " + strconv.FormatInt(v.maxBody, 10) + " bytes"}
}

// VerifyRequest reads r's body, at most the Verifier's limit
// (WithMaxBodyBytes), verifies it with r's headers as Verify does, and puts
// the bytes back on r.Body, so that later code can read it again. A larger
// body is ErrBodyTooLarge, detected without reading past the limit (even
// when no Content-Length was sent); the body is then left partly read. An
// error reading the body is ErrBodyIncomplete (wrapping the read error), not
// a VerificationError.
//
// The memory it uses grows with the bytes actually received, never with a
// declared Content-Length, so clients that announce a large body and then
// stall cost the server only what they sent.
func (v *Verifier) VerifyRequest(r *http.Request) (Event, error) {
	if v == nil || len(v.keys) == 0 {
		return Event{}, ErrMissingSecret
	}
	hadBody := r.Body != nil && r.Body != http.NoBody
	body, err := v.readBody(nil, r)
	if err != nil {
		return Event{}, err
	}
	if hadBody {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	// body is a fresh buffer, and r.Body only reads from it: the event may
	// share it.
	return v.verify(body, r.Header, true)
}

// verifyConsuming is VerifyRequest for the Handler, which has the
// ResponseWriter w: an oversized body also makes net/http close the
// connection, so that the client cannot go on streaming. It does not put
// the body back: nothing after the Handler reads it.
func (v *Verifier) verifyConsuming(w http.ResponseWriter, r *http.Request) (Event, error) {
	body, err := v.readBody(w, r)
	if err != nil {
		return Event{}, err
	}
	return v.verify(body, r.Header, true)
}

// firstReadSize bounds the buffer allocated before any byte has arrived.
// A declared Content-Length only lowers it: a client may declare the limit
// and then send nothing, and many such clients must not cost the server the
// limit each. Larger bodies grow the buffer as they arrive.
const firstReadSize = 16384 // 16 KiB

func (v *Verifier) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > v.maxBody {
		return nil, v.tooLarge(r.Header)
	}
	size := firstReadSize
	if r.ContentLength >= 0 && r.ContentLength < firstReadSize {
		size = int(r.ContentLength) + 1 // +1: room for the read that sees EOF
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, v.maxBody), size)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, v.tooLarge(r.Header)
		}
		return nil, fmt.Errorf("%w: %w", ErrBodyIncomplete, err)
	}
	return body, nil
}

// readAll is io.ReadAll starting from a buffer of the given size, so a body
// that fits is read into one allocation; past it the buffer grows by
// append's usual doubling, in step with the bytes received.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// checkSignatures compares every v1 entry of the signature header with the
// expected signature under every key. Entries of other versions, and
// malformed ones, are skipped and counted; they never match.
//
// Entries are separated by spaces. A proxy that folds several header lines
// into one joins them with ", " (RFC 9110, section 5.3), which leaves a comma
// at the end of every entry but the last; that comma is a separator too, as
// in Svix's own libraries. "v1,sig,extra" stays malformed.
func (v *Verifier) checkSignatures(sh signedHeaders, body []byte) (matched bool, tried, skipped int) {
	for i, k := range v.keys {
		st := k.get()
		st.sign(sh.id, sh.timestamp, body)
		rest := sh.signature
		for rest != "" && !matched {
			var entry string
			entry, rest, _ = strings.Cut(rest, " ")
			entry = strings.TrimSuffix(entry, ",")
			if entry == "" {
				continue // a doubled space, or a folding comma on its own
			}
			version, sig, ok := strings.Cut(entry, ",")
			if !ok || version != "v1" || strings.IndexByte(sig, ',') >= 0 {
				if i == 0 { // count entries, not entries times secrets
					skipped++
				}
				continue
			}
			if i == 0 {
				tried++
			}
			if len(sig) == len(st.expected) {
				copy(st.candidate[:], sig)
				matched = hmac.Equal(st.candidate[:], st.expected[:])
			}
		}
		k.put(st)
		if matched {
			return true, tried, skipped
		}
	}
	return false, tried, skipped
}

// parseTimestamp accepts only a canonical decimal integer: digits, no sign,
// no leading zero, no fraction or exponent, and no overflow. A canonical form
// matters because the signed content uses the header text verbatim.
func parseTimestamp(s string) (int64, bool) {
	if s == "" || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return 0, false // 18 digits cannot overflow int64 seconds or time.Unix
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// signingKey holds one HMAC key's reusable state. Building an HMAC costs
// several allocations and two SHA-256 blocks of key schedule; pooling the
// prepared hash makes a verification allocation-free.
type signingKey struct {
	pool sync.Pool
}

type macState struct {
	mac       hash.Hash
	prefix    [128]byte // room for "id.timestamp." of any real message
	sum       [32]byte  // raw HMAC
	expected  [44]byte  // base64 of sum: what a v1 entry must equal
	candidate [44]byte  // the entry under comparison
}

func newSigningKey(key []byte) *signingKey {
	k := &signingKey{}
	k.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, key)} }
	return k
}

func (k *signingKey) get() *macState  { return k.pool.Get().(*macState) }
func (k *signingKey) put(s *macState) { k.pool.Put(s) }

// sign computes the expected v1 signature of id.timestamp.body.
func (s *macState) sign(id, timestamp string, body []byte) {
	s.mac.Reset()
	// A longer id than the array holds gets a buffer of its own, which
	// is dropped afterwards: one odd message cannot pin a large one.
	s.mac.Write(append(append(append(append(s.prefix[:0], id...), '.'), timestamp...), '.'))
	s.mac.Write(body)
	base64.StdEncoding.Encode(s.expected[:], s.mac.Sum(s.sum[:0]))
}

// String describes the verifier without revealing any secret.
func (v *Verifier) String() string {
	if v == nil {
		return "clerkwebhook.Verifier(nil)"
	}
	return fmt.Sprintf("clerkwebhook.Verifier{secrets: %d, tolerance: %v}", len(v.keys), v.tolerance)
}

// Format prints String for every verb (%#v and %x included), so no fmt
// verb can dump the keys.
func (v *Verifier) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.String())) }

// Verify checks a delivery with a Verifier built from the environment: the
// secret is CLERK_WEBHOOK_SIGNING_SECRET, or CLERK_WEBHOOK_SECRET when the
// first is unset or empty, with default options. When neither is set it
// returns ErrMissingSecret; it never skips verification. The parsed secret
// is cached and re-read when the variable changes.
//
// See Verifier.Verify for what it checks and returns.
func Verify(body []byte, headers http.Header) (Event, error) {
	v, err := envVerifier()
	if err != nil {
		return Event{}, err
	}
	return v.Verify(body, headers)
}

type envEntry struct {
	secret string
	v      *Verifier
	err    error
}

var envCache atomic.Pointer[envEntry]

func envVerifier() (*Verifier, error) {
	secret, name := secretenv.Lookup()
	if secret == "" {
		return nil, fmt.Errorf("%w: set %s to the endpoint's signing secret from the Clerk Dashboard", ErrMissingSecret, EnvSigningSecret)
	}
	if e := envCache.Load(); e != nil && e.secret == secret {
		return e.v, e.err
	}
	v, err := NewVerifier(secret)
	if err != nil {
		err = fmt.Errorf("%s: %w", name, err)
	}
	envCache.Store(&envEntry{secret: secret, v: v, err: err})
	return v, err
}
