"""Links: the codes they answer to, the rules they obey and where they are stored."""
