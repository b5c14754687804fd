package store

import (
	"time"
)

// rateWindow is one fixed window of a rate limit.
type rateWindow struct {
	Start  time.Time     `json:"start"`
	Window time.Duration `json:"window"`
	Count  int           `json:"count"`
}

// Allow counts one attempt against key and reports whether it is within
// limit attempts per window (a fixed window starting at the first attempt).
// A refused attempt is not counted, so a blocked key frees up on time.
func (t *Tx) Allow(key string, limit int, window time.Duration) (bool, error) {
	b := t.tx.Bucket(bRateLimits)
	var w rateWindow
	found, err := getRecord(b, key, &w)
	if err != nil {
		return false, err
	}
	if !found || !t.now.Before(w.Start.Add(w.Window)) {
		w = rateWindow{Start: t.now, Window: window}
	}
	if w.Count >= limit {
		return false, nil
	}
	w.Count++
	return true, putRecord(b, key, w)
}

// SweepRateLimits removes windows that have ended.
func (t *Tx) SweepRateLimits() (int, error) {
	b := t.tx.Bucket(bRateLimits)
	var doomed [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var w rateWindow
		if err := decode(v, &w); err != nil || !t.now.Before(w.Start.Add(w.Window)) {
			doomed = append(doomed, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(doomed), nil
}
