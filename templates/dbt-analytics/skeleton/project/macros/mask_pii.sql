{# One-way masking of a personal identifier: the same person gets the same key, but the identifier is not kept. #}
{% macro mask_pii(column) -%}
    md5(cast({{ column }} as varchar))
{%- endmacro %}
