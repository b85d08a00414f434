-- The migrations a warehouse has applied (view versions excluded: views are recreated when they differ).
SELECT name
FROM {{database}}.main.schema_migrations
WHERE name NOT LIKE 'views@%'
