"""Plan tracking for the Jiaozuo New Area (焦作新区): domain logic, free of Prefect."""
