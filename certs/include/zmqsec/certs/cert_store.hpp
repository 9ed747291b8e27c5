// Filled in by the cert store work.
#pragma once
