-- Waits no sensor or trigger has touched for a day: their run was deleted or killed (a live wait is
-- rewritten at every look, at most every few minutes, and ends at its deadline).
DELETE FROM publication_wait WHERE updated_at < now() - interval '1 day';
