-- The UTS #39 confusable skeleton of the normalised email: an address that looks like a
-- registered one is refused as taken. Nullable because SQL cannot compute skeletons: the
-- application fills existing rows at start (store::users::backfill_email_skeletons), and a
-- NULL is not a duplicate of anything, so the index accepts the rows not yet filled.
ALTER TABLE users ADD COLUMN email_skeleton TEXT;
CREATE UNIQUE INDEX users_email_skeleton ON users (email_skeleton);
