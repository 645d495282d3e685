package clerkwebhook

import (
	"encoding/json"
	"testing"
)

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
