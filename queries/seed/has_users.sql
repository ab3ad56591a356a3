-- Whether the database already has users: the seed fills an empty database only.
-- returns: scalar
SELECT EXISTS (SELECT FROM users) AS has_users;
