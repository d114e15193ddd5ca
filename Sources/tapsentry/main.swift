print("tapsentry")
