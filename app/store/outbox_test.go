package store_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestQueuedMailRollsBackWithItsTransaction(t *testing.T) {
	st, _, _ := openAcctStore(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.QueueMail(&app.Mail{To: "a@x.io", Subject: "Hi", Text: "t"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if due, _ := st.DueMail(ctx, 10); len(due) != 0 {
		t.Fatalf("a rolled-back transaction queued %d messages", len(due))
	}
}

func TestOutboxPendingSetFollowsStatus(t *testing.T) {
	st, clock, path := openAcctStore(t)
	ctx := context.Background()
	ids := queueThree(t, st)
	due, _ := st.DueMail(ctx, 10)
	if len(due) != 3 || due[0].To != "a@x.io" {
		t.Fatalf("due: %+v", due)
	}
	// One is sent, one is retried later, one stays due.
	st.UpdateMail(ctx, ids[0], func(m *app.Mail) { m.Status = app.MailSent })
	st.UpdateMail(ctx, ids[1], func(m *app.Mail) { m.Attempts++; m.NextAttemptAt = clock.Now().Add(time.Minute) })
	due, _ = st.DueMail(ctx, 10)
	if len(due) != 1 || due[0].ID != ids[2] {
		t.Fatalf("due after updates: %+v", due)
	}
	clock.Advance(2 * time.Minute)
	due, _ = st.DueMail(ctx, 10)
	if len(due) != 2 {
		t.Fatalf("due after the backoff: %d", len(due))
	}

	// The pending set survives a restart.
	st.Close()
	st2, err := store.Open(path, store.Options{NoSync: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	due, _ = st2.DueMail(ctx, 10)
	if len(due) != 2 {
		t.Fatalf("due after reopening: %d", len(due))
	}
	st2.View(ctx, func(tx *store.Tx) error {
		if n := tx.CountPendingMail(); n != 2 {
			t.Errorf("pending %d, want 2", n)
		}
		all, _, err := tx.Outbox(store.MailFilter{})
		if err != nil || len(all) != 3 || all[0].ID != ids[2] {
			t.Errorf("outbox listing (newest first): %v %+v", err, all)
		}
		sent, _, _ := tx.Outbox(store.MailFilter{Status: app.MailSent})
		if len(sent) != 1 || sent[0].ID != ids[0] {
			t.Errorf("sent filter: %+v", sent)
		}
		page, next, _ := tx.Outbox(store.MailFilter{Limit: 2})
		rest, _, _ := tx.Outbox(store.MailFilter{Before: next, Limit: 2})
		if len(page) != 2 || len(rest) != 1 || rest[0].ID != ids[0] {
			t.Errorf("paging: %d then %d", len(page), len(rest))
		}
		return nil
	})
}

// TestUpdateMailsChangesAllOrNone: the outbox worker marks a flush's
// messages in one write; a missing id leaves every message as it was.
func TestUpdateMailsChangesAllOrNone(t *testing.T) {
	st, clock, _ := openAcctStore(t)
	ctx := context.Background()
	ids := queueThree(t, st)
	logged := func(m *app.Mail) { m.Status, m.SentAt = app.MailLogged, clock.Now() }
	if err := st.UpdateMails(ctx, []string{ids[0], "mail_missing", ids[1]}, logged); !app.IsNotFound(err) {
		t.Fatalf("a missing id: err = %v, want not found", err)
	}
	if due, _ := st.DueMail(ctx, 10); len(due) != 3 {
		t.Fatalf("%d due after a refused update, want all 3", len(due))
	}
	if err := st.UpdateMails(ctx, ids[:2], logged); err != nil {
		t.Fatal(err)
	}
	due, _ := st.DueMail(ctx, 10)
	if len(due) != 1 || due[0].ID != ids[2] {
		t.Fatalf("due after marking two: %+v", due)
	}
	st.View(ctx, func(tx *store.Tx) error {
		for _, id := range ids[:2] {
			if m, err := tx.Mail(id); err != nil || m.Status != app.MailLogged || m.SentAt.IsZero() {
				t.Errorf("%s: %+v %v", id, m, err)
			}
		}
		if n := tx.CountPendingMail(); n != 1 {
			t.Errorf("pending %d, want 1", n)
		}
		return nil
	})
}

// queueThree queues a message to each of a@, b@ and c@x.io in one
// transaction and returns their ids in that order.
func queueThree(t *testing.T, st *store.Store) []string {
	t.Helper()
	var ids []string
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		for _, to := range []string{"a@x.io", "b@x.io", "c@x.io"} {
			m := app.Mail{To: to, Subject: "Hi " + to, Text: "t"}
			if err := tx.QueueMail(&m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
