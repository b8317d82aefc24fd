-- Whether the account has a password its owner chose (#18, linked sign-ins). An account made through an
-- OpenID provider gets a random one nobody knows, so its provider identity is its only way in until
-- "forgot password" sets one; unlinking that last identity is refused. Every account before this had one.
ALTER TABLE users ADD COLUMN password_set boolean NOT NULL DEFAULT true;
