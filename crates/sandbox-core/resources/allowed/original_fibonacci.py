# Prints the first ten Fibonacci numbers, built up in a list by a simple loop.
fib = [0, 1]
for i in range(8):
    fib.append(fib[-1] + fib[-2])
print(f"Fibonacci: {fib}")
