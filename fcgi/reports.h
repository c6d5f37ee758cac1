/* Reports and expenses: sales by day, hour, product, cashier and payment
 * method, top products, profit and loss, today's stats, CSV export; expense
 * categories and expenses; the dashboard home and the reports page.
 *
 * Figures come from rollups that an aggregator keeps current (migration
 * 0004: rollup_fold, rollup_fold_all) plus the orders not folded yet, read in
 * one snapshot, so they are exact the moment an order is acknowledged.  Days
 * and hours are the store's, of the sale time; money is in minor units of
 * the base currency (decimal major units in CSV). */
#ifndef POS_REPORTS_H
#define POS_REPORTS_H

struct req;

#define REPORTS_MAX_DAYS 366	/* the longest range a report takes, in days */

/* GET /api/reports/sales, /top-products, /pnl (manager+; JSON, or CSV with
 * Accept: text/csv or ?format=csv) and GET /api/orders/stats/today. */
void reports_api_sales(struct req *r);
void reports_api_top_products(struct req *r);
void reports_api_pnl(struct req *r);
void reports_api_stats_today(struct req *r);

/* /api/expense-categories and /api/expenses: CRUD, soft delete. */
void reports_categories_list(struct req *r);
void reports_categories_create(struct req *r);
void reports_categories_get(struct req *r);
void reports_categories_patch(struct req *r);
void reports_categories_delete(struct req *r);
void reports_expenses_list(struct req *r);
void reports_expenses_create(struct req *r);
void reports_expenses_get(struct req *r);
void reports_expenses_patch(struct req *r);
void reports_expenses_delete(struct req *r);

/* Pages (reports_pages.c): GET /dashboard (?fragment=figures: the live
 * figures only, for static/js/dashboard.js) and GET /dashboard/reports. */
void reports_page_dashboard(struct req *r);
void reports_page_reports(struct req *r);

/* Shared by the API and the pages. */

/* "YYYY-MM-DD", a real calendar date: its day number (days since
 * 1970-01-01), or -1. */
long reports_parse_date(const char *s);
/* Money in minor units as decimal major units with two decimals ("-12.50"),
 * group separator sep between thousands ("" for none); in the arena. */
char *reports_money(struct req *r, long long minor, const char *sep);
/* Fold pending orders into the rollups first when many are pending (the
 * aggregator may be behind); the reports are exact either way.  0 or -1
 * (database failure, reply not set). */
int reports_fold(struct req *r);
/* The store's day now (YYYY-MM-DD, in the arena), or NULL on a database
 * failure. */
const char *reports_today(struct req *r);

#endif
