package web

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/backup"
	"vendo/app/store"
)

// handleAdminBackups is the backup page (GET /admin/backups): what a
// backup holds now, the recent downloads of one, and how to restore.
func (s *Server) handleAdminBackups(c *fiber.Ctx) error {
	dbSize, err := s.store.BackupSize()
	if err != nil {
		return err
	}
	// Files in a bucket are not in the backup (its archive lists them in
	// backup.BucketList): the page says where they are instead of
	// counting data/files/, which is empty.
	inBucket := ""
	if b, ok := s.bucket(); ok {
		inBucket = b.String()
	}
	var files int
	var fileBytes int64
	if inBucket == "" {
		filepath.WalkDir(s.cfg.FilesDir(), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				if d != nil && d.IsDir() && d.Name() == "tmp" {
					return filepath.SkipDir
				}
				return nil
			}
			if info, err := d.Info(); err == nil {
				files++
				fileBytes += info.Size()
			}
			return nil
		})
	}
	var recent []app.AuditEntry
	err = s.store.View(c.UserContext(), func(tx *store.Tx) (err error) {
		recent, _, err = tx.AuditLog(store.AuditFilter{Action: "backup.download", Limit: 10, Scan: 5000})
		return err
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "backup", "admin/backups", "", fiber.Map{"Title": "Backup", "DBSize": dbSize, "Files": files,
		"FileBytes": fileBytes, "Bucket": inBucket, "BucketList": backup.BucketList, "Recent": recent, "Available": s.backup != nil, "DataDir": s.cfg.DataDir})
}

// handleAdminBackup streams a consistent backup archive (GET
// /admin/backup): the database as one read transaction sees it plus the
// product files, as a tar.gz attachment. A GET, so a plain link works; a
// cross-site page can start the download but cannot read it.
func (s *Server) handleAdminBackup(c *fiber.Ctx) error {
	if s.backup == nil {
		return app.Errorf(app.EUNAVAILABLE, "Backups are not available in this shop.")
	}
	actor, ip := s.actor(c), c.IP()
	name := fmt.Sprintf("vendo-backup-%s.tar.gz", time.Now().UTC().Format("20060102-150405"))
	c.Set(fiber.HeaderContentType, "application/gzip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx := context.WithoutCancel(c.UserContext())
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		cw := &countingWriter{w: w}
		err := s.backup(ctx, cw)
		w.Flush()
		detail := fmt.Sprintf("downloaded %s (%s)", name, humanBytes(cw.n))
		if err != nil {
			s.log.Error("backup download", "err", err)
			detail = fmt.Sprintf("backup %s failed after %s: %v", name, humanBytes(cw.n), err)
		}
		if aerr := s.shop.Audit(ctx, app.AuditEntry{Actor: actor, Action: "backup.download", Detail: detail, IP: ip}); aerr != nil {
			s.log.Error("audit a backup", "err", aerr)
		}
	})
	return nil
}

type countingWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
