-- CREATE or ALTER the role, with LOGIN PASSWORD or NOLOGIN. Never a superuser, never able to create
-- roles or databases.
{verb} ROLE {role} WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS {login}
