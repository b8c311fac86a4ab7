-- Activity per party, with the party's identifier masked: marts carry no direct personal identifiers.
select
    {{ mask_pii('party_id') }} as party_key,
    count(*) as records,
    sum(amount) as amount,
    max(event_time) as last_event_time
from {{ ref('stg_records') }}
where party_id is not null
group by 1
