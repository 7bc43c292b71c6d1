// Package bus is newswatch's message bus on NATS JetStream: it runs an
// embedded nats-server (the default, one binary) or connects to an external
// one, sets up the streams and key-value buckets, names the subjects, and
// encodes articles as messages.
//
// Layout on the server:
//
//   - stream ARTICLES on "articles.<outlet>": every published article
//     version, JSON Article v1, de-duplicated by the Nats-Msg-Id header
//     (article.Article.MsgID: article ID, content hash and version) within
//     the duplicate window;
//   - stream ARTICLES_DEAD on "articles.dead.<outlet>": messages the indexer
//     could not decode or store, with headers saying why;
//   - KV buckets "url_state" (per-URL crawl state) and "outlet_state"
//     (per-outlet health and schedule).
//
// Outlet IDs are single NATS subject tokens (article.ValidateOutlet:
// lowercase letters, digits, '_' and '-'; "dead" is reserved).
package bus
