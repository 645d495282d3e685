// Package httpheader reads headers the way the library does, for the
// library and for the command's diagnosis.
package httpheader

import (
	"net/http"
	"strings"
)

// Values returns the values of a header. http.Header from net/http is
// canonicalised, so the map lookup usually answers; maps built by hand
// (Lambda events, fasthttp adapters) may use any spelling, so when the
// canonical key is absent the names are compared without regard to case.
func Values(h http.Header, canonical string) []string {
	if v, ok := h[canonical]; ok {
		return v
	}
	var all []string
	matches := 0
	for k, v := range h {
		if len(k) == len(canonical) && strings.EqualFold(k, canonical) {
			if matches++; matches == 1 {
				all = v // usually the only spelling: no copy
			} else {
				all = append(all[:len(all):len(all)], v...)
			}
		}
	}
	return all
}
