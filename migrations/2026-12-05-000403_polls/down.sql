DROP TABLE poll_votes;
DROP TABLE polls;
DROP TABLE scheduled_status_media;
DROP TABLE scheduled_statuses;
