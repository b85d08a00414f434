-- The staged rows that break the Observations contract (slot contract, built from the pandera model,
-- with the bound $next_month); pandera reports them when there are any.
SELECT count(*) FILTER (WHERE NOT coalesce({{contract}}, false))
FROM staged_flat_observations_check;
