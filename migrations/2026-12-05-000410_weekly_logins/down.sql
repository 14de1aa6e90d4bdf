DROP TABLE weekly_logins;
