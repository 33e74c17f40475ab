"""The caseworkers' pages: who may use them (`caseworkers`), a case and its actions
(`case_pages`), and compliance with the time limits (`compliance_pages`)."""
