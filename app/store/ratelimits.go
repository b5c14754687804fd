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
	return deleteWhere(t.tx.Bucket(bRateLimits), func(w *rateWindow) bool { return !t.now.Before(w.Start.Add(w.Window)) })
}
