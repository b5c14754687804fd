package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Anonymous visitors' forms are protected without a stored session: the
// first form page sets a random cookie, and the form's token is an HMAC of
// it under a server key (a signed double-submit cookie). A cross-site page
// can neither read the cookie nor compute the token, and no database write
// happens per visitor — so bots cost nothing and anonymous pages can be
// served from the page cache with the token filled in per request.
const anonCookie = "vendo_anon"

// anonToken is the CSRF token for an anonymous cookie value.
func (s *Server) anonToken(cookie string) string {
	m, ok := s.anonMACs.Get().(hash.Hash)
	if !ok {
		m = hmac.New(sha256.New, s.anonKey)
	}
	m.Write([]byte(cookie))
	var sum [sha256.Size]byte
	tok := base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
	m.Reset()
	s.anonMACs.Put(m)
	return tok
}

// loadAnonToken gives a visitor without a session the token of their
// anonymous cookie, if they have one.
func (s *Server) loadAnonToken(c *fiber.Ctx) error {
	if s.session(c) == nil {
		if tok := s.cookieToken(c); tok != "" {
			c.Locals(localCSRF, tok)
		}
	}
	return c.Next()
}

// cookieToken is the token of the visitor's anonymous cookie, or "" when
// they bring none or a malformed one.
func (s *Server) cookieToken(c *fiber.Ctx) string {
	v := c.Cookies(anonCookie)
	if len(v) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(v); err != nil {
		return ""
	}
	return s.anonToken(v)
}

// withToken is route middleware for GET pages that render a form: a
// visitor with neither a session nor an anonymous cookie gets the cookie,
// so the form carries a token.
func (s *Server) withToken(c *fiber.Ctx) error {
	if s.csrfToken(c) == "" {
		s.setAnonCookie(c)
	}
	return c.Next()
}

// setAnonCookie gives the visitor a new anonymous cookie and makes its
// token the request's.
func (s *Server) setAnonCookie(c *fiber.Ctx) {
	var b [16]byte
	rand.Read(b[:])
	v := hex.EncodeToString(b[:])
	c.Cookie(&fiber.Cookie{Name: anonCookie, Value: v, Path: "/", HTTPOnly: true, Secure: s.cfg.Secure(),
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(30 * 24 * time.Hour)})
	c.Locals(localCSRF, s.anonToken(v))
}
