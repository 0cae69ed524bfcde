# Adds the square root of 16 to pi with the math module and prints the result.
import math

result = math.sqrt(16) + math.pi
print(f"Result: {result}")
