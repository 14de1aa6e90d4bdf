DROP TABLE gone_inboxes;
DROP TABLE delivery_hosts;
DROP TABLE deliveries;
DROP TABLE delivery_activities;
