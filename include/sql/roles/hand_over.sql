-- Hands the public schema, and every object in it that no extension owns, to the role named by the
-- transaction's setting `aeris.new_owner` (run by a superuser in the database to hand over); sets
-- `aeris.moved` to how many objects moved. Indexes and the sequences of serial/identity columns move
-- with their tables; partitions are tables of their own.
DO $$
DECLARE
    new_owner text := current_setting('aeris.new_owner');
    moved int := 0;
    obj record;
BEGIN
    -- PostgreSQL 15+ gives `public` to pg_database_owner: whoever owns the database, then owns it.
    IF pg_get_userbyid((SELECT nspowner FROM pg_namespace WHERE nspname = 'public'))
       NOT IN (new_owner, CASE WHEN pg_get_userbyid((SELECT datdba FROM pg_database WHERE datname = current_database()))
                                    = new_owner THEN 'pg_database_owner' ELSE new_owner END) THEN
        EXECUTE format('ALTER SCHEMA public OWNER TO %I', new_owner);
        moved := moved + 1;
    END IF;
    FOR obj IN
        SELECT c.oid::regclass AS name,
               CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                              WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND pg_get_userbyid(c.relowner) <> new_owner
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
        ORDER BY c.relkind = 'S', c.oid
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I', obj.kind, obj.name, new_owner);
        moved := moved + 1;
    END LOOP;
    FOR obj IN
        SELECT p.oid::regprocedure AS name
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND pg_get_userbyid(p.proowner) <> new_owner
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', obj.name, new_owner);
        moved := moved + 1;
    END LOOP;
    FOR obj IN
        SELECT t.oid::regtype AS name, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END AS kind
        FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace
          AND t.typtype IN ('e', 'd', 'r', 'c')
          AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
          AND pg_get_userbyid(t.typowner) <> new_owner
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I', obj.kind, obj.name, new_owner);
        moved := moved + 1;
    END LOOP;
    PERFORM set_config('aeris.moved', moved::text, true);
END
$$;
