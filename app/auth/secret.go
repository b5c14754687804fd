package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SecretFile is the file in the data directory that holds the install's
// signing secret when VENDO_SECRET is unset. It lives beside the database,
// not in it, because `vendo admin-link` must read it while the running
// shop holds the database's exclusive lock.
const SecretFile = "secret"

// LoadSecret returns the signing secret: fromEnv (VENDO_SECRET) when set,
// else the contents of dataDir/secret, which is created once with 32
// random bytes in hex, readable only by its owner.
func LoadSecret(dataDir, fromEnv string) (string, error) {
	if fromEnv != "" {
		return fromEnv, nil
	}
	path := filepath.Join(dataDir, SecretFile)
	if b, err := os.ReadFile(path); err == nil {
		secret := strings.TrimSpace(string(b))
		if len(secret) < 32 {
			return "", fmt.Errorf("the signing secret in %s is too short: delete the file to generate a new one (this signs everyone out and voids outstanding links), or set VENDO_SECRET", path)
		}
		return secret, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the signing secret: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return "", fmt.Errorf("create the data directory: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(raw[:])
	// O_EXCL: when two processes start at once, one writes and the other
	// reads what it wrote.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadSecret(dataDir, "")
	}
	if err != nil {
		return "", fmt.Errorf("create the signing secret: %w", err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("write the signing secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write the signing secret: %w", err)
	}
	return secret, nil
}

// DeriveKey returns a key for one purpose, so a value signed for one use
// (an admin link) can never pass for another (a download link).
func DeriveKey(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("vendo/" + purpose))
	return m.Sum(nil)
}
