-- Forgets a rejected slice table (the caller drops the table in the same transaction).
DELETE FROM rejected_slice WHERE table_name = %(table)s;
