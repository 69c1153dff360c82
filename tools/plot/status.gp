# status.gp - how each status of a call looks, the same in the timeline,
# the calls chart and the overview (and in report.html's COLOUR, EDGE,
# PATTERN and MARK): status code s (1 ok, 2 error, 3 crash, 4 terminated,
# 5 retried, 6 cancelled, 7 timeout) is drawn in linetype s (the fill's
# colour), with fill pattern SP[s] (3 is solid; 1 and 2 cross-hatched,
# 4 and 5 striped) and edge SE[s]. The legend entry is the run's st1..st7
# (its .vars: "" when no call has the status, so that it takes no room);
# the letter in it is the mark each box carries after its id.

set linetype 1 lc rgb '#9ecae1'
set linetype 2 lc rgb '#fdae6b'
set linetype 3 lc rgb '#e34a33'
set linetype 4 lc rgb '#bdbdbd'
set linetype 5 lc rgb '#807dba'
set linetype 6 lc rgb '#d9a300'
set linetype 7 lc rgb '#dd3497'
array SP[7] = [3, 3, 2, 1, 1, 5, 4]
array SE[7] = ['#3182bd', '#d94801', '#b30000', '#636363', '#6a51a3', '#7f6000', '#7a0177']
# Not statuses: the master's bars (8), the queue wait (9).
set linetype 8 lc rgb '#525252'
set linetype 9 lc rgb '#969696'
