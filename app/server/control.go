package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"vendo/app/backup"
	"vendo/app/s3files"
)

// The control socket lets `vendo sync` and `vendo backup` reach a running
// shop: while it runs it holds bbolt's exclusive lock, so a second process
// cannot open the database. The socket lives in the data directory with
// mode 0600, so only the account that runs the shop can use it.

// ControlSocket is the socket's path inside a data directory.
func ControlSocket(dataDir string) string { return filepath.Join(dataDir, "vendo.sock") }

func (s *Server) serveControl(ctx context.Context) (func(), error) {
	path := ControlSocket(s.Config.DataDir)
	os.Remove(path) // a stale socket from a crash; the db lock proves no one else runs
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sync", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fl, _ := w.(http.Flusher)
		sum, err := s.Sync(r.Context(), func(stage string, done, total int) {
			fmt.Fprintf(w, "progress %s %d %d\n", stage, done, total)
			if fl != nil {
				fl.Flush()
			}
		})
		if err != nil {
			fmt.Fprintf(w, "error %s\n", err)
			return
		}
		fmt.Fprintf(w, "done %s\n", sum)
	})
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		if _, err := s.Backup(r.Context(), w); err != nil {
			s.log.Error("backup over control socket", "err", err)
			// Cut the stream instead of ending it cleanly: the client then
			// sees an error, not a short archive it would keep.
			panic(http.ErrAbortHandler)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		os.Remove(path)
	}, nil
}

// controlClient talks to a running shop's control socket.
func controlClient(dataDir string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", ControlSocket(dataDir))
		},
	}}
}

// errNotRunning means no shop answers on the control socket.
var errNotRunning = errors.New("no running Vendo on this data directory")

// RemoteSync asks a running shop to sync, relaying its progress.
func RemoteSync(ctx context.Context, dataDir string, progress func(stage string, done, total int)) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://vendo/sync", nil)
	resp, err := controlClient(dataDir).Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errNotRunning, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		var stage string
		var done, total int
		if n, _ := fmt.Sscanf(line, "progress %s %d %d", &stage, &done, &total); n == 3 {
			progress(stage, done, total)
			continue
		}
		if len(line) > 5 && line[:5] == "done " {
			return line[5:], nil
		}
		if len(line) > 6 && line[:6] == "error " {
			return "", errors.New(line[6:])
		}
	}
	return "", fmt.Errorf("the running shop ended the sync without a summary: %v", sc.Err())
}

// RemoteBackup asks a running shop for a backup archive and writes it to w.
func RemoteBackup(ctx context.Context, dataDir string, w io.Writer) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://vendo/backup", nil)
	resp, err := controlClient(dataDir).Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errNotRunning, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("backup: the running shop answered %s", resp.Status)
	}
	return io.Copy(w, resp.Body)
}

// Backup writes a consistent archive of the database and files to w.
func (s *Server) Backup(ctx context.Context, w io.Writer) (backup.Stats, error) {
	src := backup.Source{
		DB: s.Store, DBName: "vendo.db", FilesDir: s.Config.FilesDir(),
		Extra: []string{filepath.Join(s.Config.DataDir, "secret")},
	}
	if b, ok := s.Files.(*s3files.Bucket); ok {
		src.Bucket = b
	}
	return backup.Write(ctx, w, src)
}
