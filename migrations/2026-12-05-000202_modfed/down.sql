DROP TABLE limited_federation;
DROP TABLE account_tombstones;
