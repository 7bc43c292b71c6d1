package bus_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newswatch/newswatch/article"
	"github.com/newswatch/newswatch/bus"
	"github.com/newswatch/newswatch/bus/bustest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSubjects(t *testing.T) {
	if s, err := bus.ArticleSubject("caliber"); err != nil || s != "articles.caliber" {
		t.Errorf("ArticleSubject = %q, %v", s, err)
	}
	if s, err := bus.DeadSubject("caliber"); err != nil || s != "articles.dead.caliber" {
		t.Errorf("DeadSubject = %q, %v", s, err)
	}
	if _, err := bus.ArticleSubject("report.az"); !errors.Is(err, article.ErrBadOutlet) {
		t.Errorf("ArticleSubject(report.az) err = %v", err)
	}
	for subj, want := range map[string]string{"articles.x": "x", "articles.dead.y": "y", "other.x": "", "articles.A": ""} {
		got, err := bus.OutletOfSubject(subj)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("OutletOfSubject(%q) = %q, %v; want %q", subj, got, err, want)
		}
	}
}

func TestDecode(t *testing.T) {
	a := bustest.Article(t, "caliber", 1, 0)
	data, err := bus.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := bus.Decode(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.ID != a.ID || got.Body != a.Body || !got.PublishedAt.Equal(*a.PublishedAt) {
		t.Errorf("round trip changed the article: %+v", got)
	}
	if !strings.Contains(string(data), `"schema":"article.v1"`) {
		t.Errorf("body lacks the schema field: %s", data)
	}
	for name, body := range map[string]string{
		"garbage":  "not json",
		"trailing": string(data) + " {}",
		"array":    "[1,2]",
	} {
		if _, err := bus.Decode([]byte(body)); !errors.Is(err, bus.ErrDecode) {
			t.Errorf("%s: err = %v, want ErrDecode", name, err)
		}
	}
	for name, mut := range map[string]func(*article.Article){
		"schema": func(a *article.Article) { a.Schema = "article.v0" },
		"id":     func(a *article.Article) { a.ID = "x" },
		"outlet": func(a *article.Article) { a.Outlet = "Bad.Outlet" },
	} {
		b := *a
		mut(&b)
		raw := strings.Replace(string(data), `"schema":"article.v1"`, `"schema":"`+b.Schema+`"`, 1)
		raw = strings.Replace(raw, `"id":"`+a.ID+`"`, `"id":"`+b.ID+`"`, 1)
		raw = strings.Replace(raw, `"outlet":"`+a.Outlet+`"`, `"outlet":"`+b.Outlet+`"`, 1)
		if _, err := bus.Decode([]byte(raw)); !errors.Is(err, article.ErrInvalid) {
			t.Errorf("decode %s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestEnsureStreamsIdempotent(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	if err := c.EnsureStreams(ctx); err != nil {
		t.Fatalf("second EnsureStreams: %v", err)
	}
	if err := c.EnsureStreamsWith(ctx, bus.StreamConfig{Duplicates: time.Hour}); err != nil {
		t.Fatalf("update EnsureStreams: %v", err)
	}
	s, err := c.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.CachedInfo().Config.Duplicates; d != time.Hour {
		t.Errorf("duplicates window = %v after update, want 1h", d)
	}
	if err := c.EnsureStreamsWith(ctx, bus.StreamConfig{Duplicates: time.Hour, MaxAge: time.Minute}); err == nil {
		t.Error("max age shorter than the duplicates window accepted")
	}
	// articles.* must not capture dead letters, and vice versa.
	name, err := c.JetStream().StreamNameBySubject(ctx, "articles.dead.caliber")
	if err != nil || name != bus.StreamDead {
		t.Errorf("articles.dead.caliber is in stream %q (%v), want %s", name, err, bus.StreamDead)
	}
	name, err = c.JetStream().StreamNameBySubject(ctx, "articles.caliber")
	if err != nil || name != bus.StreamArticles {
		t.Errorf("articles.caliber is in stream %q (%v), want %s", name, err, bus.StreamArticles)
	}
}

func TestPublishDedupe(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	a := bustest.Article(t, "caliber", 1, 0)

	r1, err := c.Publish(ctx, a)
	if err != nil || r1.Duplicate {
		t.Fatalf("first publish: %+v, %v", r1, err)
	}
	r2, err := c.Publish(ctx, a)
	if err != nil {
		t.Fatalf("second publish: %v", err)
	}
	if !r2.Duplicate || r2.Seq != r1.Seq {
		t.Errorf("republish = %+v, want duplicate of seq %d", r2, r1.Seq)
	}
	// A new version (edited body) is a new message.
	b := *a
	b.Body += "\n\nCorrection appended."
	b.Version = 2
	if err := b.Finalize(); err != nil {
		t.Fatal(err)
	}
	r3, err := c.Publish(ctx, &b)
	if err != nil || r3.Duplicate || r3.Seq == r1.Seq {
		t.Errorf("new version publish = %+v, %v; want a new message", r3, err)
	}
	// An outlet that is no subject token never reaches the server.
	bad := *a
	bad.Outlet = "report.az"
	if _, err := c.Publish(ctx, &bad); !errors.Is(err, article.ErrBadOutlet) {
		t.Errorf("publish with bad outlet: err = %v, want ErrBadOutlet", err)
	}
	s, err := c.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Errorf("stream has %d messages, want 2", info.State.Msgs)
	}
	m, err := s.GetMsg(ctx, r1.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get(jetstream.MsgIDHeader); got != a.MsgID() {
		t.Errorf("Nats-Msg-Id = %q, want %q", got, a.MsgID())
	}
	if m.Subject != "articles.caliber" {
		t.Errorf("subject = %q", m.Subject)
	}
}

func TestPublishBatch(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	var arts []*article.Article
	for i := 0; i < 300; i++ {
		arts = append(arts, bustest.Article(t, fmt.Sprintf("outlet%d", i%3), i, 2000))
	}
	arts = append(arts, arts[0]) // duplicate within the batch
	bad := *arts[1]
	bad.Outlet = "a.b"
	arts = append(arts, &bad)

	res, err := c.PublishBatch(ctx, arts)
	if err == nil || !strings.Contains(err.Error(), "1 of 302 failed") {
		t.Errorf("err = %v, want one failure", err)
	}
	if !errors.Is(res[301].Err, article.ErrBadOutlet) {
		t.Errorf("unroutable article result = %+v", res[301])
	}
	if !res[300].Duplicate || res[300].Seq != res[0].Seq {
		t.Errorf("in-batch duplicate result = %+v, first = %+v", res[300], res[0])
	}
	seen := map[uint64]bool{}
	for i, r := range res[:300] {
		if r.Err != nil || r.Duplicate || seen[r.Seq] {
			t.Fatalf("result %d = %+v", i, r)
		}
		seen[r.Seq] = true
	}
	// The whole batch again: all duplicates.
	res, err = c.PublishBatch(ctx, arts[:300])
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if !r.Duplicate {
			t.Fatalf("republished %d not a duplicate: %+v", i, r)
		}
	}
}

func TestRestartKeepsMessagesAndConsumer(t *testing.T) {
	dir := t.TempDir()
	ctx := ctxT(t)
	e := bustest.RunServerOnDir(t, dir)
	c := bustest.Connect(t, e)
	for i := 0; i < 10; i++ {
		if _, err := c.Publish(ctx, bustest.Article(t, "apa", i, 0)); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := c.JetStream().CreateOrUpdateConsumer(ctx, bus.StreamArticles, jetstream.ConsumerConfig{
		Durable: "restart-test", AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(4, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("fetched %d, want 4", n)
	}
	c.Close()
	e.Shutdown()

	e2 := bustest.RunServerOnDir(t, dir)
	c2 := bustest.Connect(t, e2)
	s, err := c2.JetStream().Stream(ctx, bus.StreamArticles)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().State.Msgs; got != 10 {
		t.Errorf("after restart the stream has %d messages, want 10", got)
	}
	// The dedupe window survives too.
	r, err := c2.Publish(ctx, bustest.Article(t, "apa", 3, 0))
	if err != nil || !r.Duplicate {
		t.Errorf("republish after restart = %+v, %v; want duplicate", r, err)
	}
	cons2, err := c2.JetStream().Consumer(ctx, bus.StreamArticles, "restart-test")
	if err != nil {
		t.Fatalf("consumer lost on restart: %v", err)
	}
	batch, err = cons2.Fetch(100, jetstream.FetchMaxWait(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for m := range batch.Messages() {
		md, _ := m.Metadata()
		seqs = append(seqs, md.Sequence.Stream)
		_ = m.Ack()
	}
	if len(seqs) != 6 || seqs[0] != 5 {
		t.Errorf("after restart the consumer delivered stream seqs %v, want 5..10", seqs)
	}
}

func TestPublishDead(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	d := bus.DeadLetter{Subject: "articles.oxu", Data: []byte("junk"), StreamSeq: 7, Deliveries: 5,
		Reason: bus.ReasonUndecodable, Err: errors.New("bad\njson")}
	r1, err := c.PublishDead(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := c.PublishDead(ctx, d); err != nil || !r2.Duplicate {
		t.Errorf("same dead letter twice = %+v, %v; want duplicate", r2, err)
	}
	if _, err := c.PublishDead(ctx, bus.DeadLetter{Subject: "weird.SUBJ", Data: []byte("x"), Reason: bus.ReasonUndecodable}); err != nil {
		t.Fatal(err)
	}
	s, err := c.JetStream().Stream(ctx, bus.StreamDead)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(ctx, r1.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "articles.dead.oxu" || string(m.Data) != "junk" ||
		m.Header.Get(bus.HeaderDeadReason) != bus.ReasonUndecodable ||
		m.Header.Get(bus.HeaderDeadError) != "bad json" ||
		m.Header.Get(bus.HeaderDeadStreamSeq) != "7" || m.Header.Get(bus.HeaderDeadDeliveries) != "5" {
		t.Errorf("dead letter = %s %q %v", m.Subject, m.Data, m.Header)
	}
	m, err = s.GetLastMsgForSubject(ctx, "articles.dead."+bus.UnknownOutlet)
	if err != nil || m.Header.Get(bus.HeaderDeadSubject) != "weird.SUBJ" {
		t.Errorf("dead letter of an unknown subject: %v, %v", m, err)
	}
}

func TestKVHelpers(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	kv, err := c.URLState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OutletState(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := bus.URLKey("caliber", "https://caliber.az/post/1")
	if err != nil {
		t.Fatal(err)
	}
	// The key is the article's identity: the outlet moving to http or
	// "www." keeps it.
	id, _ := article.ID("https://caliber.az/post/1")
	if moved, err := bus.URLKey("caliber", "http://www.caliber.az/post/1?utm_source=x"); err != nil || moved != key || key != "caliber."+id {
		t.Errorf("URLKey = %q and %q (%v), want caliber.%s for both", key, moved, err, id)
	}
	if _, err := bus.URLKey("dead", "https://caliber.az/post/1"); !errors.Is(err, article.ErrBadOutlet) {
		t.Errorf("URLKey with a reserved outlet: %v", err)
	}
	type state struct {
		ETag string `json:"etag"`
	}
	var s state
	if _, err := bus.GetJSON(ctx, kv, key, &s); !errors.Is(err, bus.ErrKeyNotFound) {
		t.Errorf("get missing key: %v", err)
	}
	rev, err := bus.PutJSON(ctx, kv, key, state{ETag: "a"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bus.PutJSON(ctx, kv, key, state{ETag: "b"}, rev+5); !errors.Is(err, bus.ErrRevision) {
		t.Errorf("update at a stale revision: %v, want ErrRevision", err)
	}
	if _, err := bus.PutJSON(ctx, kv, key, state{ETag: "b"}, 0); !errors.Is(err, bus.ErrRevision) {
		t.Errorf("create of an existing key: %v, want ErrRevision", err)
	}
	if _, err := bus.PutJSON(ctx, kv, key, state{ETag: "c"}, rev); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.GetJSON(ctx, kv, key, &s); err != nil || s.ETag != "c" {
		t.Errorf("get = %+v, %v", s, err)
	}
}

func TestEmbeddedConfigValidate(t *testing.T) {
	if err := (bus.EmbeddedConfig{}).Validate(); err == nil {
		t.Error("empty data dir accepted")
	}
	if err := (bus.EmbeddedConfig{DataDir: "x", Port: 70000}).Validate(); err == nil {
		t.Error("port 70000 accepted")
	}
	if err := (bus.EmbeddedConfig{DataDir: "x"}).Validate(); err != nil {
		t.Error(err)
	}
	if err := (bus.EmbeddedConfig{DataDir: "x", Port: -1}).Validate(); !errors.Is(err, bus.ErrListenWithoutAuth) {
		t.Errorf("TCP listener without auth: %v, want ErrListenWithoutAuth", err)
	}
	if err := (bus.EmbeddedConfig{DataDir: "x", Port: 4222, Token: "short"}).Validate(); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("short token: %v", err)
	}
	if err := (bus.EmbeddedConfig{DataDir: "x", Port: -1, NKeys: []string{"SUAXXX"}}).Validate(); err == nil || !strings.Contains(err.Error(), "nkey") {
		t.Errorf("seed given as a public nkey: %v", err)
	}
	if err := (bus.EmbeddedConfig{DataDir: "x", Port: -1, Token: bustest.Token, NKeys: []string{"U"}}).Validate(); err == nil {
		t.Error("token and nkeys both accepted")
	}
	if err := bustest.TCPConfig("x").Validate(); err != nil {
		t.Error(err)
	}
}

func TestEmbeddedInProcessConnect(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	ctx := ctxT(t)
	c, err := e.Connect(ctx, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, bustest.Article(t, "news", 1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Drain(ctx); err != nil {
		t.Errorf("second drain: %v", err)
	}
}

func TestRedrive(t *testing.T) {
	e := bustest.RunBasicJetStreamServer(t)
	c := bustest.Connect(t, e)
	ctx := ctxT(t)
	a := bustest.Article(t, "oxu", 1, 0)
	b := bustest.Article(t, "apa", 2, 0)
	var seqs []uint64
	for _, x := range []*article.Article{a, b} {
		r, err := c.Publish(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, r.Seq)
	}
	ja, _ := bus.Encode(a)
	jb, _ := bus.Encode(b)
	for _, d := range []bus.DeadLetter{
		{Subject: "articles.oxu", Data: ja, StreamSeq: seqs[0], Deliveries: 5, Reason: bus.ReasonStoreFailed, Err: errors.New("x")},
		{Subject: "articles.apa", Data: jb, StreamSeq: seqs[1], Deliveries: 5, Reason: bus.ReasonStoreFailed, Err: errors.New("y")},
		{Subject: "garbage", Data: []byte("??"), Reason: bus.ReasonUndecodable},
	} {
		if _, err := c.PublishDead(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Redrive(ctx, bus.RedriveFilter{Outlet: "Bad.Outlet"}); !errors.Is(err, article.ErrBadOutlet) {
		t.Errorf("bad outlet filter: %v", err)
	}
	res, err := c.Redrive(ctx, bus.RedriveFilter{Outlet: "oxu"})
	if err != nil || res.Republished != 1 || res.Skipped != 0 {
		t.Fatalf("redrive oxu = %+v, %v", res, err)
	}
	res, err = c.Redrive(ctx, bus.RedriveFilter{})
	if err != nil || res.Republished != 1 || res.Skipped != 1 {
		t.Fatalf("redrive all = %+v, %v", res, err)
	}
	js := c.JetStream()
	dead, _ := js.Stream(ctx, bus.StreamDead)
	info, _ := dead.Info(ctx)
	if info.State.Msgs != 1 {
		t.Errorf("%d dead letters left, want the unredrivable one", info.State.Msgs)
	}
	arts, _ := js.Stream(ctx, bus.StreamArticles)
	m, err := arts.GetLastMsgForSubject(ctx, "articles.oxu")
	if err != nil {
		t.Fatal(err)
	}
	if m.Sequence <= seqs[1] || string(m.Data) != string(ja) || m.Header.Get(jetstream.MsgIDHeader) == a.MsgID() {
		t.Errorf("redriven oxu article: seq %d, msg id %q", m.Sequence, m.Header.Get(jetstream.MsgIDHeader))
	}
	if info, _ := arts.Info(ctx); info.State.Msgs != 4 {
		t.Errorf("ARTICLES has %d messages, want 2 originals + 2 redriven", info.State.Msgs)
	}
}

func TestDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	e := bustest.RunServerOnDir(t, dir)
	_, err := bus.StartEmbedded(context.Background(), bus.EmbeddedConfig{DataDir: dir}, bustest.Logger(t))
	if !errors.Is(err, bus.ErrDataDirInUse) {
		t.Fatalf("second server on the same dir: err = %v, want ErrDataDirInUse", err)
	}
	if want := fmt.Sprintf("pid %d", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the dir and the holder (%s)", err, want)
	}
	e.Shutdown()
	e.Shutdown() // idempotent
	e2 := bustest.RunServerOnDir(t, dir)
	bustest.Connect(t, e2)
}

func TestTransient(t *testing.T) {
	brokenPipe := &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nats.ErrTimeout, true},
		{nats.ErrDisconnected, true},
		{fmt.Errorf("publish: %w", brokenPipe), true},
		{io.EOF, true},
		{&jetstream.APIError{Code: 503}, true},
		{&jetstream.APIError{Code: 400}, false},
		{nats.ErrMaxPayload, false},
		{article.ErrInvalid, false},
	} {
		if got := bus.Transient(tc.err); got != tc.want {
			t.Errorf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
