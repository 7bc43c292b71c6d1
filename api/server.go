package api

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"

	"go.uber.org/zap"
)

// ErrServing: Serve was called on a Server that is already serving.
var ErrServing = errors.New("api: already serving")

// Serve serves the API on ln with the configured timeouts and header limit
// until Shutdown; it returns http.ErrServerClosed after Shutdown. The few
// answers net/http writes itself, before any handler runs (a request line
// with a NUL or other control character, headers over MaxHeaderBytes, a
// malformed Host), are rewritten to the API's JSON errors.
func (s *Server) Serve(ln net.Listener) error {
	s.srvMu.Lock()
	if s.srv != nil {
		s.srvMu.Unlock()
		return ErrServing
	}
	s.srv = &http.Server{
		Handler:                      s.handler,
		ReadHeaderTimeout:            s.cfg.ReadHeaderTimeout,
		ReadTimeout:                  s.cfg.ReadTimeout,
		WriteTimeout:                 s.cfg.WriteTimeout,
		IdleTimeout:                  s.cfg.IdleTimeout,
		MaxHeaderBytes:               s.cfg.MaxHeaderBytes,
		DisableGeneralOptionsHandler: true, // OPTIONS * gets the JSON 404 too
		ErrorLog:                     zap.NewStdLog(s.log.Named("http")),
	}
	srv := s.srv
	s.srvMu.Unlock()
	return srv.Serve(jsonListener{ln})
}

// Shutdown stops Serve: no new connections, and it waits (until ctx ends)
// for the requests in progress to be answered.
func (s *Server) Shutdown(ctx context.Context) error {
	s.srvMu.Lock()
	srv := s.srv
	s.srvMu.Unlock()
	s.closeStreams()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// closeStreams ends the open event streams (they would hold Shutdown until
// its deadline); clients reconnect elsewhere with Last-Event-ID.
func (s *Server) closeStreams() {
	s.streamsOnce.Do(func() { close(s.streamsDone) })
}

// jsonListener hands out connections whose net/http-written error answers
// are JSON.
type jsonListener struct{ net.Listener }

func (l jsonListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrConn{Conn: c}, nil
}

// plainErrorHeaders is what net/http puts between the status line and the
// body of the answers it writes itself (server.go, errorHeaders); an
// answer from a handler always has a Date header there.
const plainErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// jsonErrConn rewrites net/http's own plain-text error answers, each
// written in one Write on a connection about to close, into JSON.
type jsonErrConn struct{ net.Conn }

func (c *jsonErrConn) Write(b []byte) (int, error) {
	if !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return c.Conn.Write(b)
	}
	status, rest, ok := bytes.Cut(b, []byte(plainErrorHeaders))
	if !ok || bytes.IndexByte(status, '\n') >= 0 || len(status) < len("HTTP/1.1 400") {
		return c.Conn.Write(b)
	}
	code, err := strconv.Atoi(string(status[9:12]))
	if err != nil || code < 400 {
		return c.Conn.Write(b)
	}
	apiCode := CodeBadRequest
	if code >= 500 {
		apiCode = CodeUnavailable
	}
	msg := string(rest)
	if len(msg) > 200 {
		msg = msg[:200]
	}
	body := mustMarshalError(apiCode, "the request could not be read: "+msg)
	out := make([]byte, 0, len(status)+len(body)+160)
	out = append(out, status...)
	out = append(out, "\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(body)), 10)
	out = append(out, "\r\n\r\n"...)
	out = append(out, body...)
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
