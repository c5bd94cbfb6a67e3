"""The schema: SQLAlchemy Core tables. Migrations in `migrations/versions` build exactly this.

Times are seconds since the epoch (float). IDs are decimal strings. Lists are JSON text.
Tokens are never stored: only their keyed hash (`tokens.hash`) and a fingerprint for people.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Every Graph object has a row here, so an ID resolves to its type with one read.
nodes = Table(
    "nodes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(24), nullable=False),
    Column("created_at", Float, nullable=False),
)

# Small sealed values the server needs across restarts (e.g. the token-hash key).
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

apps = Table(
    "apps",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("require_proof", Boolean, nullable=False, default=False),
    Column("redirect_uris", Text, nullable=False, default="[]"),
    Column("deauthorize_url", Text, nullable=True),
    Column("owner_id", String(32), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("secret_reset_at", Float, nullable=True),
)

# People who develop an app besides its owner (the App Dashboard shows the app to each of them).
app_developers = Table(
    "app_developers",
    metadata,
    Column("app_id", String(32), ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("added_at", Float, nullable=False),
    Index("ix_app_developers_user", "user_id"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True, unique=True),
    Column("password_hash", Text, nullable=True),
    Column("password_changed_at", Float, nullable=True),
    Column("test_app_id", String(32), nullable=True, index=True),
    Column("created_at", Float, nullable=False),
)

pages = Table(
    "pages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(100), nullable=False),
    Column("about", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("phone", String(50), nullable=True),
    Column("website", Text, nullable=True),
    Column("created_at", Float, nullable=False),
)

page_roles = Table(
    "page_roles",
    metadata,
    Column("page_id", String(32), ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tasks", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_page_roles_user", "user_id"),
)

# A user's installation of an app: when they last consented, and when their data access lapses.
authorizations = Table(
    "authorizations",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("app_id", String(32), ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("consented_at", Float, nullable=False),
    Column("data_access_expires_at", Float, nullable=False),
    Column("removed_at", Float, nullable=True),
)

# user × app × permission; target_ids is a JSON list of Page IDs, or NULL for every Page.
grants = Table(
    "grants",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("app_id", String(32), ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("permission", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("target_ids", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
    Index("ix_grants_app", "app_id"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("fingerprint", String(16), nullable=False),
    Column("kind", String(8), nullable=False),  # app | user | page
    Column("long_lived", Boolean, nullable=False, default=False),
    Column("origin", String(8), nullable=False),  # app | user: who the token acts for
    Column("app_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=True),
    Column("page_id", String(32), nullable=True),
    Column("scopes", Text, nullable=False, default="[]"),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),  # NULL: never
    Column("parent_id", Integer, nullable=True),
    Column("how", String(24), nullable=False),  # how it was made: client_credentials, code, exchange, …
    Column("revoked_at", Float, nullable=True),
    Column("revoked_reason", String(24), nullable=True),
    Index("ix_tokens_user_app", "user_id", "app_id"),
    Index("ix_tokens_app_kind", "app_id", "kind"),
    Index("ix_tokens_page_user", "page_id", "user_id"),
    Index("ix_tokens_parent", "parent_id"),
)

# Authorization codes of the OAuth dialog: single use, bound to their redirect_uri.
codes = Table(
    "codes",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("app_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
)

# ---- the Page API (migration 0002) ---------------------------------------------------------------

# Posts on a Page's feed: the Page's own (author_kind "page") and visitors' (author_kind "user").
# IDs are PAGEID_POSTID.
posts = Table(
    "posts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("page_id", String(32), ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", String(32), nullable=False),
    Column("author_kind", String(8), nullable=False),  # page | user
    Column("app_id", String(32), nullable=True),  # the app that published it
    Column("message", Text, nullable=True),
    Column("link", Text, nullable=True),
    Column("published", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_posts_page_created", "page_id", "created_at"),
)

# Comments and replies (parent_id set) on posts. IDs are POSTID_COMMENTID (POSTID: the post's own part).
comments = Table(
    "comments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("post_id", String(64), ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("page_id", String(32), nullable=False),
    Column("parent_id", String(64), nullable=True),
    Column("author_id", String(32), nullable=False),
    Column("author_kind", String(8), nullable=False),  # page | user
    Column("app_id", String(32), nullable=True),
    Column("message", Text, nullable=False),
    Column("is_hidden", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_comments_post", "post_id", "created_at"),
    Index("ix_comments_parent", "parent_id"),
)

# Likes of posts and comments, by the Page itself or by people.
likes = Table(
    "likes",
    metadata,
    Column("object_id", String(64), primary_key=True),
    Column("actor_id", String(32), primary_key=True),
    Column("actor_kind", String(8), nullable=False),
    Column("page_id", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
)

# A Page's Messenger conversations, one per person who wrote to it.
conversations = Table(
    "conversations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("page_id", String(32), ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ux_conversations_page_user", "page_id", "user_id", unique=True),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("conversation_id", String(32), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("page_id", String(32), nullable=False),
    Column("from_id", String(32), nullable=False),
    Column("to_id", String(32), nullable=False),
    Column("from_page", Boolean, nullable=False),
    Column("app_id", String(32), nullable=True),
    Column("text", Text, nullable=False),
    Column("messaging_type", String(16), nullable=True),
    Column("created_at", Float, nullable=False),
    Index("ix_messages_conversation", "conversation_id", "created_at"),
)

# Activity the insights are computed from: impressions, Page views, engagements, messages, fans.
page_events = Table(
    "page_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("page_id", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("object_id", String(64), nullable=True),
    Column("actor_id", String(32), nullable=True),
    Column("at", Float, nullable=False),
    # how many events the row stands for: reads in the same second by the same viewer share one (0006)
    Column("count", Integer, nullable=False, server_default="1"),
    Index("ix_page_events_page_kind_at", "page_id", "kind", "at"),
    Index("ix_page_events_object_kind", "object_id", "kind"),
)

# People who like (follow) a Page now.
page_fans = Table(
    "page_fans",
    metadata,
    Column("page_id", String(32), ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("since", Float, nullable=False),
)

# Apps subscribed to a Page's webhooks, with the fields they want.
subscribed_apps = Table(
    "subscribed_apps",
    metadata,
    Column("page_id", String(32), ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True),
    Column("app_id", String(32), ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("subscribed_fields", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Ads for a Page; spend accrues from the daily budget while an ad is active.
ads = Table(
    "ads",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("page_id", String(32), ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    Column("app_id", String(32), nullable=True),
    Column("name", String(400), nullable=False),
    Column("status", String(16), nullable=False),
    Column("objective", String(40), nullable=False),
    Column("daily_budget", Integer, nullable=False),  # minor units of the currency
    Column("currency", String(3), nullable=False),
    Column("post_id", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Index("ix_ads_page", "page_id", "created_at"),
)

# Deauthorize callbacks waiting to be (or already) delivered; retried with backoff across restarts.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("app_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # deauthorize
    Column("url", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON, signed with the app secret when sent
    Column("status", String(12), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("claimed_until", Float, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("delivered_at", Float, nullable=True),
    Index("ix_deliveries_status_next", "status", "next_attempt_at"),
)

# ---- the emulator controls of `serve --dev` (migration 0004) ---------------------------------------

# One row (id 1): how far the dev clock is moved from the wall clock, and a counter bumped on every change.
dev_clock = Table(
    "dev_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", Float, nullable=False),
    Column("version", Integer, nullable=False),
)

# Faults waiting to be answered: the next `remaining` Graph calls that match answer the error.
dev_faults = Table(
    "dev_faults",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("path", Text, nullable=True),  # fnmatch pattern of the unversioned path, without the leading /
    Column("method", String(8), nullable=True),
    Column("app_id", String(32), nullable=True),
    Column("token_hash", String(64), nullable=True),  # keyed hash: the token itself is never stored
    Column("code", Integer, nullable=False),
    Column("subcode", Integer, nullable=True),
    Column("message", Text, nullable=True),
    Column("remaining", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)

# The last Graph calls a --dev server answered (tokens never recorded), for `GET /_pagetoken/requests`.
dev_requests = Table(
    "dev_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("app_id", String(32), nullable=True),
    Column("status", Integer, nullable=False),
    Column("code", Integer, nullable=True),
    Column("subcode", Integer, nullable=True),
)


# What the authority keeps in memory (validated tokens, apps, Pages, object types, grants, roles), and
# the statements that can make a remembered row wrong: a write transaction that ran one of them bumps
# the change counter once it commits, and every process and node drops what it cached. Inserting a
# token or an object cannot (nothing remembers that a row is missing), so issuing tokens and posting
# content leave the caches warm.
READ_MODEL = {
    "tokens": frozenset({"update", "delete"}),
    "apps": frozenset({"update", "delete"}),
    "pages": frozenset({"update", "delete"}),
    "users": frozenset({"update", "delete"}),
    "nodes": frozenset({"update", "delete"}),
    "grants": frozenset({"insert", "update", "delete"}),
    "authorizations": frozenset({"insert", "update", "delete"}),
    "page_roles": frozenset({"insert", "update", "delete"}),
}

# ---- rate limits shared by every process and node (migration 0005) ---------------------------------

# Calls and the seconds spent answering them, per (scope, ident) and time slot (`start_ms`, the slot's
# start in milliseconds since the epoch). Each process adds its counts in batches (graph/ratelimit.py).
rate_counts = Table(
    "rate_counts",
    metadata,
    Column("scope", String(8), primary_key=True),  # app | user | page
    Column("ident", String(64), primary_key=True),
    Column("start_ms", BigInteger, primary_key=True),
    Column("calls", BigInteger, nullable=False),
    Column("wall", Float, nullable=False),
    Column("cpu", Float, nullable=False),
    Index("ix_rate_counts_start", "start_ms"),
)

# One row (id 1): bumped when the counts are cleared (a dev reset), so counts held back from before
# it are never added after it.
rate_epoch = Table(
    "rate_epoch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("epoch", Integer, nullable=False),
)
