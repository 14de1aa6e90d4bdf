DROP TABLE notification_permissions;
DROP TABLE filtered_notifications;
DROP TABLE notification_requests;
DROP TABLE notification_policies;
