// Command baseline is the yardstick `make bench` measures Vendo against: a
// bare Fiber app that serves page bodies from memory and a file with
// c.SendFile. It is built from this module with the release build's flags
// (make bench, or bench/main.go itself), so both sides share the compiler,
// the flags and the Fiber version, and the ratios say what Vendo's own work
// costs; it is not part of the shipped vendo binary.
//
//	go build -trimpath -ldflags '-s -w' -o .bin/bench-baseline ./bench/baseline
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gofiber/fiber/v2"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run serves until SIGINT or SIGTERM:
//
//	GET /page      the first -body file, from memory
//	GET /page/N    the N-th -body file (0-based), from memory
//	GET /download  the -file with c.SendFile, compression off
//	GET /healthz   200, for readiness polling
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench-baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	var bodies [][]byte
	var bodyNames []string
	fs.Func("body", "a file whose bytes GET /page serves (repeat for /page/1, /page/2, …); one named .gz or .br is served with that Content-Encoding", func(name string) error {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		bodies, bodyNames = append(bodies, b), append(bodyNames, name)
		return nil
	})
	file := fs.String("file", "", "the file GET /download sends with c.SendFile")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(bodies) == 0 {
		bodies, bodyNames = [][]byte{[]byte("<!doctype html><title>baseline</title>")}, []string{"default.html"}
	}

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	send := func(c *fiber.Ctx, b []byte) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(b)
	}
	// A body read from a .gz or .br file is served as it is, with that
	// Content-Encoding: the same compressed bytes Vendo sent.
	var encodings []string
	for _, name := range bodyNames {
		encodings = append(encodings, map[string]string{".gz": "gzip", ".br": "br"}[filepath.Ext(name)])
	}
	sendN := func(c *fiber.Ctx, n int) error {
		if encodings[n] != "" {
			c.Set(fiber.HeaderContentEncoding, encodings[n])
		}
		return send(c, bodies[n])
	}
	app.Get("/page", func(c *fiber.Ctx) error { return sendN(c, 0) })
	app.Get("/page/:n", func(c *fiber.Ctx) error {
		n, err := strconv.Atoi(c.Params("n"))
		if err != nil || n < 0 || n >= len(bodies) {
			return fiber.ErrNotFound
		}
		return sendN(c, n)
	})
	app.Get("/download", func(c *fiber.Ctx) error {
		if *file == "" {
			return fiber.ErrNotFound
		}
		return c.SendFile(*file, false)
	})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "bench-baseline: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = app.Shutdown()
	}()
	fmt.Fprintf(stdout, "bench baseline on %s (%d page bodies, file %q)\n", ln.Addr(), len(bodies), *file)
	if err := app.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "closed") {
		fmt.Fprintf(stderr, "bench-baseline: %v\n", err)
		return 1
	}
	return 0
}
