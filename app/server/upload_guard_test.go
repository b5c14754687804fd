package server_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"vendo/app/vendotest"
)

// countingReader serves n bytes of a multipart file part and counts how
// many the server pulled.
type countingReader struct {
	read, n int64
	header  string
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	k := int64(len(p))
	if r.read+k > r.n {
		k = r.n - r.read
	}
	for i := int64(0); i < k; i++ {
		off := r.read + i
		if off < int64(len(r.header)) {
			p[i] = r.header[off]
		} else {
			p[i] = 'x'
		}
	}
	atomic.AddInt64(&r.read, k)
	return int(k), nil
}

// TestAnonymousUploadIsRefusedBeforeItsBodyIsRead: a chunked multipart
// POST to an admin upload route without a session is refused while most
// of its 256 MiB are still unsent (the CSRF check never parses a
// multipart body).
func TestAnonymousUploadIsRefusedBeforeItsBodyIsRead(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	const size = 256 << 20
	body := &countingReader{n: size, header: "--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.bin\"\r\n\r\n"}
	req, _ := http.NewRequest("POST", srv.URL+"/admin/products/prod_x/files", body)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	req.ContentLength = -1 // chunked
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	} else if !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "broken pipe") {
		t.Fatal(err)
	}
	if read := atomic.LoadInt64(&body.read); read > 64<<20 {
		t.Fatalf("the server read %d MiB of an anonymous upload before refusing it", read>>20)
	}
}
