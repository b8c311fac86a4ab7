-- Records and amounts per day and source.
select
    cast(event_time as date) as event_date,
    source_entity,
    count(*) as records,
    sum(amount) as amount
from {{ ref('stg_records') }}
group by 1, 2
