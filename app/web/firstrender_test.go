package web_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"vendo/app/vendotest"
)

// TestTheFirstPagesRenderedAtOnce: a new shop's first pages, rendered at
// the same moment, neither race nor differ. Fiber makes the list Render
// walks on its first call, unguarded (Ctx.renderExtensions); two first
// renders at once wrote it together, which the race detector caught when
// fasthttp answered two connections with an error page at once. Under
// -race this test fails without the list made before the shop serves.
func TestTheFirstPagesRenderedAtOnce(t *testing.T) {
	t.Parallel()
	// No connection outlives its request: the shop shuts down after each
	// round without waiting on idle ones.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for round := range 3 {
		shop := vendotest.Start(t, vendotest.Options{NoBackground: true})
		var wg sync.WaitGroup
		start := make(chan struct{})
		bodies := make([]string, 16)
		for i := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, err := client.Get(fmt.Sprintf("%s/no-such-page-%d-%d", shop.URL, round, i))
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 404 {
					t.Errorf("a missing page: %d", resp.StatusCode)
				}
				bodies[i] = string(b)
			}()
		}
		close(start)
		wg.Wait()
		for i, b := range bodies {
			if !strings.Contains(b, "The page you asked for is not here") || strings.Count(b, "<html") != 1 {
				t.Fatalf("round %d, page %d: not the one error page:\n%.600s", round, i, b)
			}
		}
		shop.Stop()
	}
}
