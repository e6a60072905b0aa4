-- The user list's sort orders, each with the id tie-break it pages by.
CREATE INDEX users_created ON users(created_at, id);
CREATE INDEX users_last_login ON users(last_login_at, id);
CREATE INDEX users_name ON users(LOWER(display_name), id);
