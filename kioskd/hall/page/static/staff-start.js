// Staff page: start once every tab's script has registered its tab (scripts load in order, deferred).
"use strict";

startPage();
