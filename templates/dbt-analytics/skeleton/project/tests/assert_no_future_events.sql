-- Fails when a source delivers events dated in the future (a clock or time zone problem upstream).
select *
from {{ ref('stg_records') }}
where event_time > current_timestamp + interval '1 day'
