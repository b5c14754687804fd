package vendotest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
)

// UploadZeros posts a file of size zero bytes called name to path as the
// admin's upload form does (multipart, htmx, the CSRF token in a header),
// streamed from a generator so the test holds none of it, and calls
// sample every 20 ms until the answer has come: a large-upload test
// watches the shop's heap or disk with it.
func (c *Client) UploadZeros(path, name string, size int64, sample func()) (*http.Response, string) {
	c.t.Helper()
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if _, err := mw.CreateFormFile("file", name); err != nil {
		c.t.Fatal(err)
	}
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	body := io.MultiReader(bytes.NewReader(head.Bytes()), io.LimitReader(Zeros{}, size), strings.NewReader(tail))
	req, err := http.NewRequest("POST", c.URL(path), body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.ContentLength = int64(head.Len()) + size + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.CSRF())
	req.Header.Set("HX-Request", "true")

	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				sample()
			}
		}
	}()
	resp, page := c.Do(req)
	close(stop)
	<-sampled
	return resp, page
}

// Zeros is an endless reader of zero bytes, for large test files.
type Zeros struct{}

func (Zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
