package fakeclerk

import (
	"encoding/binary"
	"math/rand/v2"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID makes an id as Clerk's look: the prefix and a KSUID, 27 base62
// characters of a 4-byte timestamp (seconds since 2014-05-13, the KSUID
// epoch) and 16 random bytes. Like Clerk's, ids made later sort later.
func newID(rng *rand.Rand, prefix string, atMillis int64) string {
	var b [20]byte
	binary.BigEndian.PutUint32(b[:4], uint32(atMillis/1000-1400000000))
	binary.BigEndian.PutUint64(b[4:12], rng.Uint64())
	binary.BigEndian.PutUint64(b[12:], rng.Uint64())
	// Base62 of the 160-bit number, by long division over 32-bit words.
	var words [5]uint32
	for i := range words {
		words[i] = binary.BigEndian.Uint32(b[i*4:])
	}
	var out [27]byte
	for i := len(out) - 1; i >= 0; i-- {
		var rem uint64
		for j := range words {
			cur := rem<<32 | uint64(words[j])
			words[j] = uint32(cur / 62)
			rem = cur % 62
		}
		out[i] = base62[rem]
	}
	return prefix + string(out[:])
}

func randomBase62(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = base62[rng.IntN(len(base62))]
	}
	return string(b)
}
